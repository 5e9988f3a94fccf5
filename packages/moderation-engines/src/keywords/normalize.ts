/**
 * Text normalisation for keyword matching: invisible characters removed, then Unicode NFKC and full
 * case folding applied to the text as a sequence (so characters compose across code points), with an
 * exact map from every normalised UTF-16 code unit back to the original text.
 *
 * Platform-neutral (no Node APIs). The same function normalises list terms and moderated text, so
 * both sides always agree.
 */

/** Character class bits, cached per code point. */
export const CLASS_KNOWN = 1;
/** Ignored entirely: format characters (\p{Cf}), default-ignorables, variation selectors. */
export const CLASS_IGNORABLE = 2;
/**
 * NFKC may compose it with, or reorder it around, the character before it, so it joins that
 * character's chunk: combining marks, half-width voiced sound marks, Hangul vowel and final jamo.
 */
export const CLASS_JOINING = 4;
/** Letter, number or mark. */
export const CLASS_WORD = 8;
/** Belongs to a script written without spaces between words (CJK, Hangul, Thai, Lao, Khmer, Myanmar). */
export const CLASS_UNSPACED = 16;
/** Whitespace, punctuation or symbol: removed by the `separators` pass. */
export const CLASS_SEPARATOR = 32;

/** What a lone surrogate (broken UTF-16) counts as: U+FFFD REPLACEMENT CHARACTER, a symbol. */
export const REPLACEMENT_CHARACTER = 0xfffd;

const IGNORABLE_RE = /^[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}]$/u;
const MARK_RE = /^\p{M}$/u;
const WORD_RE = /^[\p{L}\p{N}\p{M}]$/u;
const UNSPACED_RE =
  /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Bopomofo}\p{scx=Hangul}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}]$/u;
const SEPARATOR_RE = /^[\s\p{P}\p{S}]$/u;
const IGNORABLE_GLOBAL_RE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}]/gu;
const CHANGES_WHEN_CASEFOLDED_RE = /^\p{Changes_When_Casefolded}$/u;

const bmpClass = new Uint8Array(0x10000);
const astralClass = new Map<number, number>();

const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

/**
 * True when NFKC may compose `cp` with the character before it or reorder it around that
 * character: its decomposition starts with a combining mark (every character with a non-zero
 * combining class is a mark) or with one of the few other characters that compose with a
 * preceding one: Hangul vowel and final jamo (U+1160–U+11FF, U+D7B0–U+D7FF, and the compatibility
 * and half-width jamo that decompose to them) and U+16D67 KIRAT RAI VOWEL SIGN E.
 */
function isJoining(cp: number): boolean {
  const first = String.fromCodePoint(cp).normalize("NFKD").codePointAt(0)!;
  if (MARK_RE.test(String.fromCodePoint(first))) return true;
  return (first >= 0x1160 && first <= 0x11ff) || (first >= 0xd7b0 && first <= 0xd7ff) || first === 0x16d67;
}

function computeClass(cp: number): number {
  if (isSurrogate(cp)) return computeClass(REPLACEMENT_CHARACTER);
  const ch = String.fromCodePoint(cp);
  let cls = CLASS_KNOWN;
  if (IGNORABLE_RE.test(ch)) return cls | CLASS_IGNORABLE;
  if (isJoining(cp)) cls |= CLASS_JOINING;
  if (WORD_RE.test(ch)) cls |= CLASS_WORD;
  if (UNSPACED_RE.test(ch)) cls |= CLASS_UNSPACED;
  if (SEPARATOR_RE.test(ch)) cls |= CLASS_SEPARATOR;
  return cls;
}

/** The class bits of a code point (cached). */
export function classOf(cp: number): number {
  if (cp < 0x10000) {
    const c = bmpClass[cp]!;
    if (c !== 0) return c;
    const computed = computeClass(cp);
    bmpClass[cp] = computed;
    return computed;
  }
  let c = astralClass.get(cp);
  if (c === undefined) {
    c = computeClass(cp);
    astralClass.set(cp, c);
  }
  return c;
}

/** True when a code point is a letter, number or mark of a script written with spaces. */
export function isSpacedWordChar(cp: number): boolean {
  return (classOf(cp) & (CLASS_WORD | CLASS_UNSPACED)) === CLASS_WORD;
}

/**
 * True for characters the `separators` pass removes: whitespace, punctuation, symbols, and any
 * other ASCII character that is not a letter or digit.
 */
export function isSeparator(cp: number): boolean {
  if (cp < 0x80) {
    return !((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a));
  }
  return (classOf(cp) & CLASS_SEPARATOR) !== 0;
}

/**
 * Unicode full case folding (CaseFolding.txt, statuses C and F) of one code point. Characters that
 * do not change when case folded (Unicode's Changes_When_Casefolded) stay as they are: dotless `ı`
 * is a letter of its own, not `i`. The others fold to lower case of upper case of lower case, which
 * gives the full folds `toLowerCase` alone misses (ß and ẞ → ss, final sigma ς → σ, all
 * locale-independent), except for Cherokee, which Unicode folds to its capital letters.
 */
function caseFoldCodePoint(ch: string): string {
  if (!CHANGES_WHEN_CASEFOLDED_RE.test(ch)) return ch;
  const folded = ch.toLowerCase().toUpperCase().toLowerCase();
  for (const c of folded) if (CHANGES_WHEN_CASEFOLDED_RE.test(c)) return folded.toUpperCase();
  return folded;
}

/**
 * Normalises one chunk (a character, the joining characters after it, no ignorables): NFKC, full
 * case folding, NFKC again (folding can produce sequences that compose), ignorables that NFKC
 * produced removed (half-width Hangul filler U+FFA0 → U+3164).
 */
function foldChunk(chunk: string): string {
  const nfkc = chunk.normalize("NFKC");
  let folded = "";
  for (const ch of nfkc) folded += caseFoldCodePoint(ch);
  if (folded !== nfkc) folded = folded.normalize("NFKC");
  return folded.replace(IGNORABLE_GLOBAL_RE, "");
}

// Fold of single BMP code points: -1 unknown, -2 result is not one code unit (see foldStrings).
const bmpFold = new Int32Array(0x10000).fill(-1);
const foldStrings = new Map<number, string>();
const chunkCache = new Map<string, string>();
const CHUNK_CACHE_MAX = 4096;

function foldCodePoint(cp: number): number {
  if (cp < 0x10000) {
    const f = bmpFold[cp]!;
    if (f !== -1) return f;
  }
  const s = foldChunk(String.fromCodePoint(cp));
  if (cp < 0x10000) {
    if (s.length === 1) {
      bmpFold[cp] = s.charCodeAt(0);
      return bmpFold[cp]!;
    }
    bmpFold[cp] = -2;
  }
  foldStrings.set(cp, s);
  return -2;
}

/**
 * Most joining characters in one chunk (after a first character that is not joining). Real text never has more than a
 * few in a row; without a bound, NFKC's reordering of one long run costs time quadratic in its
 * length (27 s for 260,000 marks) and the chunk cache would keep arbitrarily long chunks. 30 is
 * the bound of Unicode's stream-safe text format (UAX #15), which real text always meets.
 */
export const MAX_JOINING = 30;

function foldJoinedChunk(chunk: string): string {
  let s = chunkCache.get(chunk);
  if (s === undefined) {
    s = foldChunk(chunk);
    if (chunkCache.size >= CHUNK_CACHE_MAX) chunkCache.clear();
    chunkCache.set(chunk, s);
  }
  return s;
}

/**
 * Reusable output of {@link normalizeInto}: normalised UTF-16 code units in `units[0..length)`,
 * and for each one the original range `[mapStart[i], mapEnd[i])` of the chunk it came from.
 * When `identity` is true the text was pure ASCII and the maps are not filled: offsets are equal.
 */
export class NormalizedBuffer {
  units = new Uint16Array(256);
  mapStart = new Int32Array(256);
  mapEnd = new Int32Array(256);
  length = 0;
  identity = true;

  /** Original start offset of normalised code unit `i`. */
  originalStart(i: number): number {
    return this.identity ? i : this.mapStart[i]!;
  }

  /** Original end offset (exclusive) of normalised code unit `i`. */
  originalEnd(i: number): number {
    return this.identity ? i + 1 : this.mapEnd[i]!;
  }

  ensure(capacity: number): void {
    if (capacity <= this.units.length) return;
    let size = this.units.length * 2;
    while (size < capacity) size *= 2;
    const units = new Uint16Array(size);
    units.set(this.units.subarray(0, this.length));
    this.units = units;
    const mapStart = new Int32Array(size);
    mapStart.set(this.mapStart.subarray(0, this.length));
    this.mapStart = mapStart;
    const mapEnd = new Int32Array(size);
    mapEnd.set(this.mapEnd.subarray(0, this.length));
    this.mapEnd = mapEnd;
  }

  /** The normalised text as a string. */
  toString(): string {
    return unitsToString(this.units, this.length);
  }
}

/** `units[0..length)` as a string (in slices, so a long text does not overflow the argument list). */
export function unitsToString(units: Uint16Array, length: number): string {
  let out = "";
  for (let i = 0; i < length; i += 4096) out += String.fromCharCode(...units.subarray(i, Math.min(length, i + 4096)));
  return out;
}

function push(out: NormalizedBuffer, s: string, start: number, end: number): void {
  const n = out.length;
  out.ensure(n + s.length);
  for (let k = 0; k < s.length; k++) {
    out.units[n + k] = s.charCodeAt(k);
    out.mapStart[n + k] = start;
    out.mapEnd[n + k] = end;
  }
  out.length = n + s.length;
}

/**
 * Normalises `text` into `out` (reusing its buffers): invisible characters removed, lone surrogates
 * read as U+FFFD, then NFKC and full case folding. NFKC applies to the text as a sequence: the text
 * is cut into chunks only before characters that NFKC never composes with or reorders around what
 * precedes them, so normalising chunk by chunk gives the normalisation of the whole text, and every
 * normalised code unit maps back to the original range of its chunk. A chunk is usually one
 * character; a character followed by joining characters (combining marks, a half-width voiced
 * mark, Hangul vowel jamo), invisible characters between them included, is one chunk. A run of
 * more than {@link MAX_JOINING} joining characters is cut after each MAX_JOINING (the text is
 * normalised in UAX #15's stream-safe form), which keeps the cost linear. Pure ASCII text takes a
 * fast path (lower-casing only).
 */
export function normalizeInto(text: string, out: NormalizedBuffer): void {
  const n = text.length;
  out.ensure(n);
  const units = out.units;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    units[i] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  }
  if (i === n) {
    out.length = n;
    out.identity = true;
    return;
  }
  // The last ASCII character may start a chunk with the joining characters that follow: redo it.
  if (i > 0) i--;
  out.length = i;
  out.identity = false;
  for (let k = 0; k < i; k++) {
    out.mapStart[k] = k;
    out.mapEnd[k] = k + 1;
  }
  // The look-ahead that ends a chunk has already read the next character: keep it for the next turn.
  let aheadAt = -1;
  let aheadCp = 0;
  let aheadCls = 0;
  while (i < n) {
    let cp: number;
    let cls: number;
    if (aheadAt === i) {
      cp = aheadCp;
      cls = aheadCls;
    } else {
      cp = text.codePointAt(i)!;
      cls = cp < 0x80 ? 0 : classOf(cp);
    }
    const size = cp > 0xffff ? 2 : 1;
    if (isSurrogate(cp)) cp = REPLACEMENT_CHARACTER;
    if ((cls & CLASS_IGNORABLE) !== 0) {
      i += size;
      continue;
    }
    // Extend the chunk over following joining characters (ignorables in between are skipped), up to
    // MAX_JOINING joining characters in a row: the next one starts a chunk (UAX #15's stream-safe form).
    let chunkEnd = i + size;
    let hasJoining = false;
    // A chunk cut from a long run starts with a joining character: it counts too.
    let joined = (cls & CLASS_JOINING) !== 0 ? 1 : 0;
    let k = chunkEnd;
    while (k < n) {
      const c2 = text.charCodeAt(k);
      // Below U+0300 only the soft hyphen (ignorable) can continue a chunk.
      if (c2 < 0x300 && c2 !== 0xad) break;
      const cp2 = text.codePointAt(k)!;
      const cls2 = classOf(cp2);
      const size2 = cp2 > 0xffff ? 2 : 1;
      if ((cls2 & CLASS_JOINING) !== 0 && joined === MAX_JOINING) {
        aheadAt = k;
        aheadCp = cp2;
        aheadCls = cls2;
        break;
      }
      if ((cls2 & CLASS_JOINING) !== 0) {
        joined++;
        hasJoining = true;
        k += size2;
        chunkEnd = k;
      } else if ((cls2 & CLASS_IGNORABLE) !== 0) {
        k += size2;
      } else {
        aheadAt = k;
        aheadCp = cp2;
        aheadCls = cls2;
        break;
      }
    }
    if (hasJoining) {
      let chunk = String.fromCodePoint(cp);
      for (let p = i + size; p < chunkEnd; ) {
        const q = text.codePointAt(p)!;
        if ((classOf(q) & CLASS_IGNORABLE) === 0) chunk += String.fromCodePoint(q);
        p += q > 0xffff ? 2 : 1;
      }
      push(out, foldJoinedChunk(chunk), i, chunkEnd);
      i = chunkEnd;
      continue;
    }
    if (cp < 0x80) {
      const m = out.length;
      out.ensure(m + 1);
      out.units[m] = cp >= 0x41 && cp <= 0x5a ? cp | 0x20 : cp;
      out.mapStart[m] = i;
      out.mapEnd[m] = i + 1;
      out.length = m + 1;
    } else {
      const f = foldCodePoint(cp);
      if (f >= 0) {
        const m = out.length;
        out.ensure(m + 1);
        out.units[m] = f;
        out.mapStart[m] = i;
        out.mapEnd[m] = i + size;
        out.length = m + 1;
      } else {
        push(out, foldStrings.get(cp)!, i, i + size);
      }
    }
    i += size;
  }
}

const scratch = new NormalizedBuffer();

/**
 * Normalises a string the way terms and texts are compared: invisible characters removed, lone
 * surrogates read as U+FFFD, NFKC and full case folding (see {@link normalizeInto}).
 */
export function normalizeForMatching(text: string): string {
  normalizeInto(text, scratch);
  return scratch.toString();
}
