/**
 * Ordering lists of findings (spans of a text) without repeats. Platform-neutral.
 */

/**
 * Sorts `items` in place by `compare`, then drops every item that `same` says repeats the one kept
 * before it (so `compare` must put repeats next to each other). Returns `items`.
 */
export function sortWithoutRepeats<T>(
  items: T[],
  compare: (a: T, b: T) => number,
  same: (kept: T, next: T) => boolean,
): T[] {
  items.sort(compare);
  let w = 0;
  for (let r = 0; r < items.length; r++) {
    const item = items[r]!;
    if (w > 0 && same(items[w - 1]!, item)) continue;
    items[w++] = item;
  }
  items.length = w;
  return items;
}
