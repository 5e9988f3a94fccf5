/**
 * The canonical form injection rules are matched against: the keyword engine's normalisation
 * (invisible characters removed, NFKC, full case folding; `keywords/normalize.ts`), then cut into
 * tokens and written back with one space between words, so that spacing, punctuation and
 * look-alike tricks do not change what a rule sees:
 *
 * - a word of a spaced script (Latin, Cyrillic, Arabic, Devanagari…) is one token; every run of
 *   whitespace, punctuation or symbols between words becomes one space;
 * - every character of a script written without spaces (Han, kana, Hangul, Thai…) is a token of
 *   its own, and nothing separates two such tokens (`忽 略，之前` → `忽略之前`);
 * - Latin letters lose their diacritics (`ïgnörez` → `ignorez`), and a few Latin look-alikes fold
 *   to the letter they imitate (`ı` → `i`);
 * - in a word that mixes Latin with Cyrillic or Greek letters, those letters fold to the Latin
 *   letter they look like (`іgnоrе` with Cyrillic і, о, е → `ignore`); an all-Cyrillic word stays;
 * - in a word that mixes Latin letters with digits or `@`/`$`, the digits and symbols read as the
 *   letters they stand for (`1gn0r3` → `ignore`, `in$truction` → `instruction`);
 * - three or more single letters in a row, separated by the same single character, are joined
 *   into one word (`i g n o r e`, `i.g.n.o.r.e` → `ignore`).
 *
 * Each token's transformation depends only on the token itself (and, for joining, its single-letter
 * neighbours), and rule phrases go through the same function, so a phrase and a text always agree.
 * Every canonical code unit maps back to the normalised text, and from there to the original text.
 *
 * Platform-neutral (no Node APIs); linear in the length of the text.
 */
import {
  CLASS_UNSPACED,
  CLASS_WORD,
  classOf,
  isSpacedWordChar,
  NormalizedBuffer,
  normalizeInto,
  unitsToString,
} from "../keywords/normalize.ts";
import { ensureCapacity } from "../text/buffers.ts";

const SPACE = 0x20;

const KIND_SPACED = 0;
const KIND_UNSPACED = 1;

const F_LATIN = 1;
const F_DIGIT = 2;
const F_CYRILLIC_GREEK = 4;
const F_LEET_SYMBOL = 8;

/** Cyrillic and Greek letters (lower case: the text is case folded) that imitate a Latin letter. */
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: "a",
  в: "b",
  г: "r",
  е: "e",
  ё: "e",
  з: "3",
  и: "u",
  і: "i",
  ї: "i",
  ј: "j",
  к: "k",
  м: "m",
  н: "h",
  о: "o",
  п: "n",
  р: "p",
  с: "c",
  т: "t",
  у: "y",
  х: "x",
  ѕ: "s",
  ԁ: "d",
  ԛ: "q",
  ԝ: "w",
  ь: "b",
  α: "a",
  β: "b",
  γ: "y",
  ε: "e",
  η: "n",
  ι: "i",
  κ: "k",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  ω: "w",
  ϲ: "c",
};

/** Digits and symbols that stand for letters inside a Latin word. */
const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "8": "b",
  "9": "g",
  "@": "a",
  $: "s",
};

/** Latin letters NFKC and case folding leave alone although they imitate a plain one. */
const LATIN_LOOKALIKES: Readonly<Record<string, string>> = { ı: "i", ɩ: "i", ɡ: "g", ɑ: "a", ʟ: "l", ȷ: "j" };

const LATIN_RE = /^\p{Script=Latin}$/u;
const CYRILLIC_GREEK_RE = /^[\p{Script=Cyrillic}\p{Script=Greek}]$/u;
const DIGIT_RE = /^\p{Nd}$/u;

const F_KNOWN = 0x80;
const scriptBits = new Uint8Array(0x10000);

/** Script bits of a BMP code point (cached); astral code points count as neither. */
function scriptOf(cp: number): number {
  if (cp >= 0x10000) return 0;
  let bits = scriptBits[cp]!;
  if (bits === 0) {
    const ch = String.fromCharCode(cp);
    bits = F_KNOWN;
    if (LATIN_RE.test(ch)) bits |= F_LATIN;
    else if (CYRILLIC_GREEK_RE.test(ch)) bits |= F_CYRILLIC_GREEK;
    else if (DIGIT_RE.test(ch)) bits |= F_DIGIT;
    scriptBits[cp] = bits;
  }
  return bits & ~F_KNOWN;
}

// Latin letter → its base letter without diacritics (0: not computed yet; itself when none).
const latinBase = new Uint16Array(0x2000);

function stripLatin(cp: number): number {
  if (cp < 0x80 || cp >= 0x2000) return cp;
  let base = latinBase[cp]!;
  if (base === 0) {
    const ch = String.fromCharCode(cp);
    const lookalike = LATIN_LOOKALIKES[ch];
    if (lookalike !== undefined) base = lookalike.charCodeAt(0);
    else {
      const first = ch.normalize("NFD").charCodeAt(0);
      base = first < 0x80 ? first : cp;
    }
    latinBase[cp] = base;
  }
  return base;
}

function isSpacedWordUnit(c: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
  return isSpacedWordChar(c);
}

/** The buffers of {@link CanonicalText} that grow with its tokens. */
const TOKEN_BUFFERS = ["tStart", "tEnd", "tKind", "tFlags", "tSep", "tCanon", "tOut"] as const;

/**
 * A text in canonical form, with its maps. Reusable: {@link canonicalizeInto} overwrites it.
 *
 * The text is cut into source tokens (`tStart`/`tEnd`: their normalised ranges, in order), each
 * written to the canonical text unit for unit from `tCanon[k]` on, as part of canonical token
 * `tOut[k]` (single letters joined into one word are several source tokens of one canonical
 * token). The maps are read through {@link normStart}, {@link normEnd}, {@link tokenAt} and
 * {@link normTokenAt}, which search the token table: judging reads them only where a rule hits.
 */
export class CanonicalText {
  readonly normalized = new NormalizedBuffer();
  units = new Uint16Array(256);
  length = 0;
  /** Canonical tokens. */
  tokens = 0;

  // Source tokens: normalised range, kind, flags, the separator before each, where each starts in
  // the canonical text, and its canonical token.
  tStart = new Int32Array(64);
  tEnd = new Int32Array(64);
  tKind = new Uint8Array(64);
  tFlags = new Uint8Array(64);
  /** 0: adjacent; a code unit: exactly that one separator character; -1: anything else. */
  tSep = new Int32Array(64);
  tCanon = new Int32Array(64);
  tOut = new Int32Array(64);
  tCount = 0;

  /**
   * Code units to look out for (a table over all units; set by the caller, kept between texts):
   * {@link triggered} tells whether the normalised text has one. Unset: `triggered` is always true.
   */
  triggers: Uint8Array | undefined;
  /** Whether the normalised text holds one of {@link triggers}. */
  triggered = true;
  /**
   * True when the text is plain ASCII and holds nothing an encoded blob starts with (see
   * {@link mayHoldBlob}): `findEncodedBlobs` would find nothing in it.
   */
  blobFree = false;

  ensure(capacity: number): void {
    if (capacity > this.units.length) {
      let size = this.units.length * 2;
      while (size < capacity) size *= 2;
      this.units = new Uint16Array(size);
    }
  }

  ensureTokens(capacity: number): void {
    if (capacity > this.tStart.length) ensureCapacity(this, TOKEN_BUFFERS, capacity);
  }

  /** The canonical text as a string. */
  toString(): string {
    return unitsToString(this.units, this.length);
  }

  /** The last source token that starts at or before canonical unit `i` (-1: none). */
  private sourceAt(i: number): number {
    const canon = this.tCanon;
    let lo = 0;
    let hi = this.tCount - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (canon[mid]! <= i) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** True when canonical unit `i`, at or after source token `k`'s start, is the space after it. */
  private isSpaceAfter(k: number, i: number): boolean {
    return i - this.tCanon[k]! >= this.tEnd[k]! - this.tStart[k]!;
  }

  /** Start of the normalised units canonical unit `i` came from (a space: the separators it stands for). */
  normStart(i: number): number {
    const k = this.sourceAt(i);
    if (this.isSpaceAfter(k, i)) return this.tEnd[k]!;
    const n = this.tStart[k]! + (i - this.tCanon[k]!);
    // Both halves of a surrogate pair map to the pair.
    const units = this.normalized.units;
    if (n > this.tStart[k]! && isLow(units[n]!) && isHigh(units[n - 1]!)) return n - 1;
    return n;
  }

  /** End (exclusive) of the normalised units canonical unit `i` came from. */
  normEnd(i: number): number {
    const k = this.sourceAt(i);
    if (this.isSpaceAfter(k, i)) return this.tStart[k + 1]!;
    const n = this.tStart[k]! + (i - this.tCanon[k]!);
    const units = this.normalized.units;
    if (isHigh(units[n]!) && n + 1 < this.tEnd[k]!) return n + 2;
    return n + 1;
  }

  /** The canonical token canonical unit `i` belongs to (a space: the token after it). */
  tokenAt(i: number): number {
    const k = this.sourceAt(i);
    return this.isSpaceAfter(k, i) ? this.tOut[k + 1]! : this.tOut[k]!;
  }

  /**
   * The canonical token normalised unit `n` belongs to (a separator: the token after it; after the
   * last token: {@link tokens}).
   */
  normTokenAt(n: number): number {
    // The first source token that ends after `n`.
    const end = this.tEnd;
    let lo = 0;
    let hi = this.tCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (end[mid]! > n) hi = mid;
      else lo = mid + 1;
    }
    return lo < this.tCount ? this.tOut[lo]! : this.tokens;
  }
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Cuts the normalised text into tokens (scratch arrays of `out`). */
function tokenize(out: CanonicalText): void {
  const norm = out.normalized;
  const units = norm.units;
  const n = norm.length;
  // At most one token per unit: sized once, so the arrays below stay valid through the loop.
  out.ensureTokens(n + 1);
  const { tStart, tEnd, tKind, tFlags, tSep, triggers } = out;
  let count = 0;
  let inWord = false;
  let flags = 0;
  let sep = 0;
  let sepCount = 0;
  let triggered = triggers === undefined;
  // Runs of base64 characters (letters, digits, `+/-_`), tracked in ASCII text only: where the
  // current one starts (-1: none), and whether any run or character could start a blob.
  const ascii = norm.identity;
  let runStart = -1;
  let blob = !ascii;
  for (let i = 0; i < n; ) {
    let cp = units[i]!;
    let size = 1;
    let spaced: boolean;
    let unspaced = false;
    if (cp < 0x80) {
      spaced = (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39);
      // `@` and `$` between two letters or digits of a word stand for letters (leet).
      if (!spaced && (cp === 0x40 || cp === 0x24) && inWord && i + 1 < n && isSpacedWordUnit(units[i + 1]!)) {
        if (!triggered && triggers![cp] === 1) triggered = true;
        if (runStart >= 0) {
          blob ||= mayHoldBlob(units, runStart, i, n);
          runStart = -1;
        }
        flags |= F_LEET_SYMBOL;
        tEnd[count - 1] = i + 1;
        i += 1;
        continue;
      }
    } else {
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
        const d = units[i + 1]!;
        if (d >= 0xdc00 && d <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          size = 2;
        }
      }
      const cls = classOf(cp);
      unspaced = (cls & CLASS_UNSPACED) !== 0 && (cls & CLASS_WORD) !== 0;
      spaced = !unspaced && (cls & CLASS_WORD) !== 0;
    }
    if (spaced) {
      if (!inWord) {
        if (count > 0 && tKind[count - 1] === KIND_SPACED) tFlags[count - 1] = flags;
        tStart[count] = i;
        tKind[count] = KIND_SPACED;
        tSep[count] = count === 0 ? -1 : sepCount === 0 ? 0 : sepCount === 1 ? sep : -1;
        count++;
        inWord = true;
        flags = 0;
      }
      flags |= cp < 0x80 ? (cp <= 0x39 ? F_DIGIT : F_LATIN) : scriptOf(cp);
      if (runStart < 0) runStart = i;
      i += size;
      // The rest of the word's ASCII letters and digits in one go (anything else: the loop above).
      for (; i < n; i++) {
        const c = units[i]!;
        if (c >= 0x61 && c <= 0x7a) flags |= F_LATIN;
        else if (c >= 0x30 && c <= 0x39) flags |= F_DIGIT;
        else break;
      }
      tEnd[count - 1] = i;
      sepCount = 0;
      continue;
    } else if (unspaced) {
      if (count > 0 && tKind[count - 1] === KIND_SPACED) tFlags[count - 1] = flags;
      flags = 0;
      tStart[count] = i;
      tEnd[count] = i + size;
      tKind[count] = KIND_UNSPACED;
      tFlags[count] = 0;
      tSep[count] = count === 0 ? -1 : sepCount === 0 ? 0 : sepCount === 1 ? sep : -1;
      count++;
      inWord = false;
      sepCount = 0;
    } else {
      inWord = false;
      sep = cp < 0x10000 ? cp : -1;
      sepCount++;
      if (!triggered && (triggers![units[i]!] === 1 || (size === 2 && triggers![units[i + 1]!] === 1)))
        triggered = true;
      if (ascii) {
        if (cp === 0x2b || cp === 0x2f || cp === 0x2d || cp === 0x5f) {
          if (runStart < 0) runStart = i;
        } else {
          if (runStart >= 0) {
            blob ||= mayHoldBlob(units, runStart, i, n);
            runStart = -1;
          }
          if (cp === 0x25 || cp === 0x5c) blob = true;
        }
      }
    }
    i += size;
  }
  if (runStart >= 0) blob ||= mayHoldBlob(units, runStart, n, n);
  if (count > 0 && tKind[count - 1] === KIND_SPACED) tFlags[count - 1] = flags;
  out.tCount = count;
  out.triggered = triggered;
  out.blobFree = !blob;
}

const isHexUnit = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);

/**
 * Whether a run of base64 characters `units[start, end)` of a lower-cased ASCII text could be (the
 * start of) what `findEncodedBlobs` decodes: 16 characters or more (base64, hex, binary), one binary
 * octet (a spaced run of them), or a hex pair followed by a space (a spaced run of pairs). Percent
 * and backslash escapes are caught by their first character.
 */
function mayHoldBlob(units: Uint16Array, start: number, end: number, n: number): boolean {
  const length = end - start;
  if (length >= 16) return true;
  if (length === 8) {
    for (let k = start; k < end; k++) if (units[k] !== 0x30 && units[k] !== 0x31) return false;
    return true;
  }
  return length === 2 && isHexUnit(units[start]!) && isHexUnit(units[start + 1]!) && end < n && units[end] === 0x20;
}

/** True when token `t` is one character of a spaced script (a candidate for joining). */
function singleLetter(out: CanonicalText, t: number): boolean {
  if (out.tKind[t] !== KIND_SPACED) return false;
  const length = out.tEnd[t]! - out.tStart[t]!;
  if (length === 1) return true;
  if (length !== 2) return false;
  const c = out.normalized.units[out.tStart[t]!]!;
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * Writes token characters `[from, to)` of the normalised text with the token's folds, from
 * canonical position `m`, one canonical unit per normalised unit; returns the position after
 * them. The array is sized already.
 */
function emitToken(out: CanonicalText, from: number, to: number, flags: number, kind: number, m: number): number {
  const units = out.normalized.units;
  const cu = out.units;
  const mixedScript = (flags & F_LATIN) !== 0 && (flags & F_CYRILLIC_GREEK) !== 0;
  const leet = (flags & F_LATIN) !== 0 && (flags & (F_DIGIT | F_LEET_SYMBOL)) !== 0;
  const plain = kind !== KIND_SPACED || (!mixedScript && !leet);
  if (plain) {
    // ASCII units of a plain token are written as they are; the loop below takes over at the first other one.
    for (; from < to; from++) {
      const c = units[from]!;
      if (c >= 0x80) break;
      cu[m++] = c;
    }
  }
  for (let i = from; i < to; i++) {
    const c = units[i]!;
    let unit = c;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      // A surrogate pair: written as it is.
    } else if (c >= 0xdc00 && c <= 0xdfff && i > from && units[i - 1]! >= 0xd800 && units[i - 1]! <= 0xdbff) {
      // The pair's second half.
    } else if (kind === KIND_SPACED) {
      if (!plain) {
        if (leet && (c < 0x80 || scriptOf(c) === F_DIGIT)) {
          const ch = c < 0x80 ? String.fromCharCode(c) : String(Number.parseInt(String.fromCharCode(c), 10));
          const letter = LEET[ch];
          if (letter !== undefined) unit = letter.charCodeAt(0);
        } else if (mixedScript && (scriptOf(c) & F_CYRILLIC_GREEK) !== 0) {
          const letter = CONFUSABLES[String.fromCharCode(c)];
          if (letter !== undefined) unit = letter.charCodeAt(0);
        }
      }
      if (unit >= 0x80) unit = stripLatin(unit);
    }
    cu[m++] = unit;
  }
  return m;
}

/**
 * Writes the canonical form of `text` into `out` (reusing its buffers): normalisation, then
 * tokens, then the folds described in the module comment.
 */
export function canonicalizeInto(text: string, out: CanonicalText): void {
  normalizeInto(text, out.normalized);
  tokenize(out);
  const norm = out.normalized;
  const n = norm.length;
  out.ensure(2 * n + 2);
  let m = 0;
  let token = 0;
  const count = out.tCount;
  const { tStart, tEnd, tCanon, tOut } = out;
  for (let t = 0; t < count; ) {
    // Three or more single letters separated by the same one character: one word.
    let last = t;
    if (singleLetter(out, t)) {
      const sep = out.tSep[t + 1];
      if (sep !== undefined && sep > 0) {
        while (last + 1 < count && singleLetter(out, last + 1) && out.tSep[last + 1] === sep) last++;
      }
      if (last - t < 2) last = t;
    }
    const kind = out.tKind[t]!;
    if (t > 0 && !(kind === KIND_UNSPACED && out.tKind[t - 1] === KIND_UNSPACED)) out.units[m++] = SPACE;
    let flags = 0;
    for (let k = t; k <= last; k++) flags |= out.tFlags[k]!;
    for (let k = t; k <= last; k++) {
      tCanon[k] = m;
      tOut[k] = token;
      m = emitToken(out, tStart[k]!, tEnd[k]!, flags, kind, m);
    }
    token++;
    t = last + 1;
  }
  out.length = m;
  out.tokens = token;
}

const scratch = new CanonicalText();

/** The canonical form of a string (rule phrases, tests). */
export function canonicalize(text: string): string {
  canonicalizeInto(text, scratch);
  return scratch.toString();
}
