/**
 * Reusable typed-array buffers that grow together (a text's code units and their maps back to the
 * original text, a token table's columns). Platform-neutral.
 */

type Growable = Uint8Array | Uint16Array | Int32Array;

/**
 * Grows the buffers `keys` of `owner` together, keeping their contents, so that each holds at least
 * `capacity` items: the size doubles until it does. Does nothing when the first buffer is already
 * large enough (the buffers of one group always have the same size).
 */
export function ensureCapacity<K extends string>(
  owner: { [key in K]: Growable },
  keys: readonly K[],
  capacity: number,
): void {
  const current = owner[keys[0]!].length;
  if (capacity <= current) return;
  let size = current * 2;
  while (size < capacity) size *= 2;
  for (const key of keys) {
    const old = owner[key];
    const grown = new (old.constructor as new (length: number) => Growable)(size);
    grown.set(old);
    owner[key] = grown;
  }
}
