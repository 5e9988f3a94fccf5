import type { ExplainFinding } from "../report.ts";

/** A stretch of a text and the findings that cover all of it (none: plain text). */
export interface Segment {
  start: number;
  end: number;
  findings: ExplainFinding[];
  /** Findings that end with this segment: their labels are shown after it. */
  ending: ExplainFinding[];
}

/**
 * Cuts a text of `length` UTF-16 units at every finding's start and end, so overlapping findings
 * become segments each covered by a known set of findings. Spans are clamped to the text.
 */
export function segmentsOf(length: number, findings: readonly ExplainFinding[]): Segment[] {
  const cuts = new Set<number>([0, length]);
  const clamp = (value: number) => Math.max(0, Math.min(length, value));
  for (const finding of findings) {
    cuts.add(clamp(finding.start));
    cuts.add(clamp(finding.end));
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const start = sorted[i]!;
    const end = sorted[i + 1]!;
    const covering = findings.filter((finding) => clamp(finding.start) <= start && clamp(finding.end) >= end);
    segments.push({ start, end, findings: covering, ending: covering.filter((finding) => clamp(finding.end) === end) });
  }
  return segments;
}
