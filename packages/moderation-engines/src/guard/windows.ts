/**
 * Overlapping windows of a long text, so a text longer than the model's context is judged in
 * pieces it can take, and a passage cut by one window's end is whole in the next.
 */

/**
 * Splits `text` into windows of at most `size` UTF-16 code units that start every `size − overlap`
 * units, counted from the start of the text (so the windows of a prefix are the windows of the
 * whole text, except the last one: a streamed answer's earlier windows are cache hits). A window
 * never starts or ends inside a surrogate pair. A text of at most `size` units is one window.
 */
export function splitIntoWindows(text: string, size: number, overlap: number): string[] {
  if (!(size > 0) || overlap < 0 || overlap * 2 >= size) {
    throw new RangeError(`window overlap ${overlap} must be at least 0 and less than half the window ${size}`);
  }
  if (text.length <= size) return [text];
  const step = size - overlap;
  const windows: string[] = [];
  for (let start = 0; ; start += step) {
    const from = insidePair(text, start) ? start - 1 : start;
    let end = Math.min(text.length, start + size);
    if (end < text.length && insidePair(text, end)) end -= 1;
    windows.push(text.slice(from, end));
    if (end >= text.length) return windows;
  }
}

/** Whether `index` falls between the two halves of a surrogate pair. */
function insidePair(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length) return false;
  const before = text.charCodeAt(index - 1);
  const at = text.charCodeAt(index);
  return before >= 0xd800 && before <= 0xdbff && at >= 0xdc00 && at <= 0xdfff;
}
