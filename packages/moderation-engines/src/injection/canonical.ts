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

/** The buffers of {@link CanonicalText} that grow with the text, and those that grow with its tokens. */
const UNIT_BUFFERS = ["units", "normStart", "normEnd", "tok"] as const;
const TOKEN_BUFFERS = ["tStart", "tEnd", "tKind", "tFlags", "tSep"] as const;

/**
 * A text in canonical form, with its maps. Reusable: {@link canonicalizeInto} overwrites it.
 * Canonical unit `i` came from normalised units `[normStart[i], normEnd[i])`; `tok[i]` is the
 * ordinal of the token it belongs to (a space: the ordinal of the token after it). `normTok[n]` is
 * the ordinal of the token normalised unit `n` belongs to (a separator: the token after it).
 */
export class CanonicalText {
  readonly normalized = new NormalizedBuffer();
  units = new Uint16Array(256);
  normStart = new Int32Array(256);
  normEnd = new Int32Array(256);
  tok = new Int32Array(256);
  normTok = new Int32Array(256);
  length = 0;
  tokens = 0;

  // Token scratch: normalised range, kind, flags and the separator before each token.
  tStart = new Int32Array(64);
  tEnd = new Int32Array(64);
  tKind = new Uint8Array(64);
  tFlags = new Uint8Array(64);
  /** 0: adjacent; a code unit: exactly that one separator character; -1: anything else. */
  tSep = new Int32Array(64);
  tCount = 0;

  ensure(capacity: number): void {
    if (capacity > this.units.length) ensureCapacity(this, UNIT_BUFFERS, capacity);
  }

  ensureTokens(capacity: number): void {
    if (capacity > this.tStart.length) ensureCapacity(this, TOKEN_BUFFERS, capacity);
  }

  /** The canonical text as a string. */
  toString(): string {
    return unitsToString(this.units, this.length);
  }

  /** Original-text start of canonical unit `i`. */
  originalStart(i: number): number {
    return this.normalized.originalStart(this.normStart[i]!);
  }

  /** Original-text end (exclusive) of canonical unit `i`. */
  originalEnd(i: number): number {
    return this.normalized.originalEnd(this.normEnd[i]! - 1);
  }
}

/** Cuts the normalised text into tokens (scratch arrays of `out`). */
function tokenize(out: CanonicalText): void {
  const norm = out.normalized;
  const units = norm.units;
  const n = norm.length;
  // At most one token per unit: sized once, so the arrays below stay valid through the loop.
  out.ensureTokens(n + 1);
  const { tStart, tEnd, tKind, tFlags, tSep } = out;
  let count = 0;
  let inWord = false;
  let flags = 0;
  let sep = 0;
  let sepCount = 0;
  for (let i = 0; i < n; ) {
    let cp = units[i]!;
    let size = 1;
    let spaced: boolean;
    let unspaced = false;
    if (cp < 0x80) {
      spaced = (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39);
      // `@` and `$` between two letters or digits of a word stand for letters (leet).
      if (!spaced && (cp === 0x40 || cp === 0x24) && inWord && i + 1 < n && isSpacedWordUnit(units[i + 1]!)) {
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
    }
    i += size;
  }
  if (count > 0 && tKind[count - 1] === KIND_SPACED) tFlags[count - 1] = flags;
  out.tCount = count;
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
 * canonical position `m`; returns the position after them. The arrays are sized already.
 */
function emitToken(
  out: CanonicalText,
  from: number,
  to: number,
  flags: number,
  kind: number,
  token: number,
  m: number,
): number {
  const units = out.normalized.units;
  const cu = out.units;
  const cs = out.normStart;
  const ce = out.normEnd;
  const ct = out.tok;
  const mixedScript = (flags & F_LATIN) !== 0 && (flags & F_CYRILLIC_GREEK) !== 0;
  const leet = (flags & F_LATIN) !== 0 && (flags & (F_DIGIT | F_LEET_SYMBOL)) !== 0;
  const plain = kind !== KIND_SPACED || (!mixedScript && !leet);
  if (plain) {
    // ASCII units of a plain token are written as they are; the loop below takes over at the first other one.
    for (; from < to; from++) {
      const c = units[from]!;
      if (c >= 0x80) break;
      cu[m] = c;
      cs[m] = from;
      ce[m] = from + 1;
      ct[m] = token;
      m++;
    }
  }
  for (let i = from; i < to; i++) {
    const c = units[i]!;
    let unit = c;
    let start = i;
    let end = i + 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      // A surrogate pair: both halves map to the pair.
      end = i + 2;
    } else if (c >= 0xdc00 && c <= 0xdfff && i > from && units[i - 1]! >= 0xd800 && units[i - 1]! <= 0xdbff) {
      start = i - 1;
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
    cu[m] = unit;
    cs[m] = start;
    ce[m] = end;
    ct[m] = token;
    m++;
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
  if (out.normTok.length < n + 1) out.normTok = new Int32Array(out.units.length + 1);
  let m = 0;
  let token = 0;
  let filled = 0;
  const count = out.tCount;
  const normTok = out.normTok;
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
    if (t > 0 && !(kind === KIND_UNSPACED && out.tKind[t - 1] === KIND_UNSPACED)) {
      out.units[m] = SPACE;
      out.normStart[m] = out.tEnd[t - 1]!;
      out.normEnd[m] = out.tStart[t]!;
      out.tok[m] = token;
      m++;
    }
    let flags = 0;
    for (let k = t; k <= last; k++) flags |= out.tFlags[k]!;
    for (let k = t; k <= last; k++) m = emitToken(out, out.tStart[k]!, out.tEnd[k]!, flags, kind, token, m);
    const end = out.tEnd[last]!;
    for (; filled < end; filled++) normTok[filled] = token;
    token++;
    t = last + 1;
  }
  for (; filled < n; filled++) normTok[filled] = token;
  out.length = m;
  out.tokens = token;
}

const scratch = new CanonicalText();

/** The canonical form of a string (rule phrases, tests). */
export function canonicalize(text: string): string {
  canonicalizeInto(text, scratch);
  return scratch.toString();
}
