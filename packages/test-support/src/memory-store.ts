/**
 * An in-memory stand-in for the store replicas share (the `SharedStore` shape of
 * `@dify-ext/moderation-engines` and `@dify-ext/shared-state`), for unit tests of what uses it:
 * its values can be read and tampered with. Tests of the store itself run a real redis-server
 * (`./redis-server`).
 */
export interface MemoryStore {
  readonly values: Map<string, string>;
  /** Operations so far. */
  readonly gets: number;
  readonly sets: number;
  get(keys: readonly string[]): Promise<Array<string | undefined>>;
  set(key: string, value: string, ttlMs: number): void;
}

export function memoryStore(): MemoryStore {
  const values = new Map<string, string>();
  let gets = 0;
  let sets = 0;
  return {
    values,
    get gets() {
      return gets;
    },
    get sets() {
      return sets;
    },
    async get(keys) {
      gets += 1;
      return keys.map((key) => values.get(key));
    },
    set(key, value) {
      sets += 1;
      values.set(key, value);
    },
  };
}
