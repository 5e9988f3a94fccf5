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
 * A span to mask. Without `replacement`, every code point inside it becomes the mask character;
 * with one (a type label such as `[EMAIL]`), the whole span becomes that text once, so the masked
 * text can be shorter or longer than the original.
 */
export interface MaskSpan extends Span {
  replacement?: string;
}

interface Region extends Span {
  /** The labels of the spans merged into this region, in order, each once; none for a star region. */
  labels: string[];
}

/** Clamps a span to the text and widens an edge inside a surrogate pair to the whole pair. */
function widen(text: string, span: Span): Span {
  let start = Math.max(0, span.start);
  let end = Math.min(text.length, span.end);
  if (start > 0 && isLowSurrogate(text.charCodeAt(start)) && isHighSurrogate(text.charCodeAt(start - 1))) start -= 1;
  if (end > 0 && end < text.length && isLowSurrogate(text.charCodeAt(end)) && isHighSurrogate(text.charCodeAt(end - 1)))
    end += 1;
  return { start, end };
}

/**
 * Replaces the spans of a text: a plain span gets `mask` once per code point (an emoji inside a
 * match becomes one `*`), a span with a `replacement` becomes that replacement. Text outside the
 * spans is left exactly as it was. A span edge that falls inside a surrogate pair is widened to the
 * whole pair, so no broken character is left behind.
 *
 * Spans may overlap, as spans from several engines do. Overlapping labelled spans merge into one
 * region written as their labels, each once (`[EMAIL]`, or `[EMAIL][PHONE]` when two types
 * overlap); a plain span overlapping a labelled one is starred only where the label does not cover
 * it. No character inside any span is ever left in the result.
 */
export function maskSpans(text: string, spans: readonly MaskSpan[], mask = "*"): string {
  if (spans.length === 0) return text;
  const labelled: Region[] = [];
  const plain: Span[] = [];
  for (const span of spans) {
    const widened = widen(text, span);
    if (widened.end <= widened.start) continue;
    if (span.replacement === undefined) plain.push(widened);
    else labelled.push({ ...widened, labels: [span.replacement] });
  }
  const regions = mergeLabelled(labelled);
  const starred = subtract(mergeSpans(plain, text.length), regions);
  const all: Region[] = [...regions, ...starred.map((span) => ({ ...span, labels: [] }))].sort(
    (a, b) => a.start - b.start,
  );
  if (all.length === 0) return text;
  let result = "";
  let cursor = 0;
  for (const region of all) {
    result += text.slice(cursor, region.start);
    if (region.labels.length > 0) result += region.labels.join("");
    else for (const _ of text.slice(region.start, region.end)) result += mask;
    cursor = region.end;
  }
  return result + text.slice(cursor);
}

/** Sorts labelled spans and merges the overlapping ones (touching ones stay apart: two labels). */
function mergeLabelled(regions: Region[]): Region[] {
  regions.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Region[] = [];
  for (const region of regions) {
    const last = merged.at(-1);
    if (last && region.start < last.end) {
      last.end = Math.max(last.end, region.end);
      for (const label of region.labels) if (!last.labels.includes(label)) last.labels.push(label);
    } else merged.push({ start: region.start, end: region.end, labels: [...region.labels] });
  }
  return merged;
}

/** The parts of sorted, disjoint `spans` that no sorted, disjoint `cuts` cover. */
function subtract(spans: readonly Span[], cuts: readonly Span[]): Span[] {
  if (cuts.length === 0) return [...spans];
  const out: Span[] = [];
  let c = 0;
  for (const span of spans) {
    let start = span.start;
    while (c < cuts.length && cuts[c]!.end <= start) c++;
    let k = c;
    while (start < span.end) {
      const cut = cuts[k];
      if (!cut || cut.start >= span.end) {
        out.push({ start, end: span.end });
        break;
      }
      if (cut.start > start) out.push({ start, end: cut.start });
      start = Math.max(start, cut.end);
      k++;
    }
  }
  return out;
}
