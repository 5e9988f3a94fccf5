/**
 * Incremental keyword matching for streamed answers: the findings of a text that extends a text
 * already judged, from the earlier findings and a rescan of the end only.
 *
 * Why it is exact. Normalisation works chunk by chunk, and a chunk starts at every character that
 * is neither joining (combining marks and the like) nor ignorable (`chunkStart`); so the
 * normalisation of `text.slice(r)`, for a chunk start `r`, is exactly the normalisation of `text`
 * from `r` on, with offsets shifted by `r`. A finding depends only on the normalised units it
 * covers, one code point on each side (whole-word checks) and the allow matches that could cover
 * it, all within `reach` units. So, with chunk starts `r0 < split <= cut <= prior length`:
 * - a finding of the whole text that starts before `split` lies, with everything it depends on,
 *   before `cut` when `split` is at least `max(pattern + 2, allow)` normalised units before `cut`;
 *   the earlier text is the same there, so it is one of the earlier findings, and conversely;
 * - a finding that starts at or after `split` is found by matching `text.slice(r0)` when `split`
 *   is at least `allow + 2` units after `r0` (its left neighbour and any allow match covering it
 *   are inside the slice).
 * The distances are measured on the normalised slice itself, so expansions, contractions,
 * invisible characters and long runs of combining marks are all accounted for. With the
 * `separators` option a match can span any run of separators: the reach is unbounded and the
 * whole text is judged.
 */
import { CLASS_IGNORABLE, CLASS_JOINING, classOf, NormalizedBuffer, normalizeInto } from "./normalize.ts";
import type { KeywordFinding, KeywordMatcher } from "./matcher.ts";

/** Margin, in normalised units, on top of what the reach requires (surrogate pairs, rounding). */
const MARGIN = 4;
/** How far back to look for a chunk start before giving up (a run of combining marks). */
const MAX_WALK = 4096;

const scratch = new NormalizedBuffer();

/** True when normalisation starts a chunk at `p` (never joins the character there to the one before). */
export function chunkStart(text: string, p: number): boolean {
  if (p <= 0 || p >= text.length) return true;
  const c = text.charCodeAt(p);
  if (c < 0x80) return true;
  if (c >= 0xdc00 && c <= 0xdfff) {
    const h = text.charCodeAt(p - 1);
    if (h >= 0xd800 && h <= 0xdbff) return false;
  }
  return (classOf(text.codePointAt(p)!) & (CLASS_JOINING | CLASS_IGNORABLE)) === 0;
}

function chunkStartAtOrBefore(text: string, p: number): number {
  for (let walked = 0; p > 0; p--, walked++) {
    if (walked > MAX_WALK) return -1;
    if (chunkStart(text, p)) return p;
  }
  return 0;
}

/**
 * The findings of `text`, given the findings of its prefix of `priorLength` code units, exactly as
 * `matcher.find(text)` gives them; `undefined` when that cannot be done soundly here (unbounded
 * reach, a prefix too short to be worth it, runs of combining marks): match the whole text then.
 */
export function extendFindings(
  matcher: KeywordMatcher,
  prior: readonly KeywordFinding[],
  priorLength: number,
  text: string,
): KeywordFinding[] | undefined {
  const reach = matcher.reach;
  if (reach === null || priorLength > text.length) return undefined;
  const left = reach.allow + 2 + MARGIN;
  const right = Math.max(reach.pattern + 2, reach.allow) + MARGIN;
  const cut = chunkStartAtOrBefore(text, priorLength);
  if (cut <= 0) return undefined;
  let split = -1;
  let r0 = 0;
  for (let span = 2 * (left + right) + 16; split < 0; span *= 4) {
    if (span > cut) return undefined;
    r0 = chunkStartAtOrBefore(text, cut - span);
    if (r0 <= 0) return undefined;
    normalizeInto(text.slice(r0, cut), scratch);
    // The first chunk start at least `left` units in, with at least `right` units after it.
    for (let k = left; k <= scratch.length - right; k++) {
      const start = scratch.originalStart(k);
      if (start !== scratch.originalStart(k - 1)) {
        split = r0 + start;
        break;
      }
    }
  }
  const findings: KeywordFinding[] = [];
  for (const finding of prior) if (finding.start < split) findings.push(finding);
  for (const finding of matcher.find(text.slice(r0))) {
    const start = finding.start + r0;
    if (start >= split) findings.push({ ...finding, start, end: finding.end + r0 });
  }
  return findings;
}
