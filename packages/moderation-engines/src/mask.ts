import type { Span } from "./engine.ts";

/** Sorts spans, clamps them to the text, and merges overlapping or touching ones. */
export function mergeSpans(spans: readonly Span[], length: number): Span[] {
  const sorted = spans
    .map((span) => ({ start: Math.max(0, span.start), end: Math.min(length, span.end) }))
    .filter((span) => span.end > span.start)
    .sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * Replaces every character inside the spans with `mask`, one mask per code point (an emoji inside a
 * match becomes one `*`). Text outside the spans is left exactly as it was. A span edge that falls
 * inside a surrogate pair is widened to the whole pair, so no broken character is left behind.
 */
export function maskSpans(text: string, spans: readonly Span[], mask = "*"): string {
  const merged = mergeSpans(spans, text.length);
  if (merged.length === 0) return text;
  let result = "";
  let cursor = 0;
  for (const span of merged) {
    let { start, end } = span;
    if (start < cursor) start = cursor;
    if (
      start > 0 &&
      isLowSurrogate(text.charCodeAt(start)) &&
      isHighSurrogate(text.charCodeAt(start - 1)) &&
      start - 1 >= cursor
    ) {
      start -= 1;
    }
    if (end < text.length && isLowSurrogate(text.charCodeAt(end)) && isHighSurrogate(text.charCodeAt(end - 1)))
      end += 1;
    if (end <= start) continue;
    result += text.slice(cursor, start);
    for (const _ of text.slice(start, end)) result += mask;
    cursor = end;
  }
  return result + text.slice(cursor);
}
