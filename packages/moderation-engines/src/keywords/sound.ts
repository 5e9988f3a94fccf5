/**
 * The sound pass of Chinese keyword lists: terms found by how they sound, for the `pinyin` fold
 * (a term's characters written as toneless pinyin syllables, `fa lun gong`, `法lun功`) and the
 * `homophones` fold (characters replaced by others that share a syllable, `发轮功`).
 *
 * Terms are turned, when the matcher is built, into sequences of syllables: one sequence per
 * combination of their characters' readings (a polyphonic character matches on any of its
 * readings), at most {@link MAX_READING_VARIANTS} per term. The sequences go into a trie (an
 * {@link Automaton} over syllable ids). The text is read once: each Han character stands for the
 * syllables it can be read as, each run of Latin letters for every way it splits into syllables,
 * and the trie is walked along all of them at once (a set of active paths, each with its start).
 * Then each found sequence is checked against the term: a Han character that is not the term's own
 * (as the list's other folds see it) needs `homophones`, Latin syllables need `pinyin`.
 *
 * Only tables for the syllables the terms use are built; the pinyin library is not called while
 * texts are judged.
 */
import { Automaton } from "./automaton.ts";
import { chineseFoldTable } from "./chinese-fold.ts";
import { isSeparator, isSpacedWordChar, type NormalizedBuffer } from "./normalize.ts";
import { latinSpellings, readingTable, readingsOf } from "./readings.ts";
import { isHan, lookalikeTable } from "./zh-folds.ts";

/**
 * Shortest term `homophones` applies to, in characters. Two syllables out of about 400 meet a large
 * share of any Chinese text (a 100,000-term list of random words flagged more than one finding per
 * character of random text), and the homophones of two-character words are mostly ordinary words
 * (赌博 "gambling" → 读博 "doing a PhD"): two-character terms match by sound through `pinyin` and
 * `initials` only.
 */
export const MIN_HOMOPHONE_TERM = 3;

/** Most syllable sequences one term is expanded into (products of its characters' readings). */
export const MAX_READING_VARIANTS = 64;
/** Size of the start filters, as a power of two of bits (2^21 bits: 256 KiB each). */
const FILTER_BITS = 21;

/** Three syllable codes (each below 1024: there are about 410 syllables) hashed to a filter bit. */
function hash3(a: number, b: number, c: number): number {
  return Math.imul((a << 20) | (b << 10) | c, 0x9e3779b1) >>> (32 - FILTER_BITS);
}

function setBit(bits: Int32Array, i: number): void {
  bits[i >>> 5]! |= 1 << (i & 31);
}

function getBit(bits: Int32Array, i: number): boolean {
  return (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
}

/** Most active paths kept while reading a text (a safety bound; real lists stay far below it). */
const MAX_ACTIVE = 4096;
/** Most steps spent checking one found sequence against one term (a safety bound). */
const MAX_VERIFY_STEPS = 4096;

/** How a sound match was made, as bits. */
export const TAG_PINYIN = 1;
export const TAG_HOMOPHONES = 2;
export const TAG_CHINESE = 4;
export const TAG_LOOKALIKES = 8;
export const TAG_REPEATS = 16;
export const TAG_NUMERALS = 32;
export const TAG_INITIALS = 64;

/** A term of a list with `pinyin` or `homophones`. */
export interface SoundTerm {
  /** The term as written: the finding's label. */
  label: string;
  /** Its normalised form. */
  normalized: string;
  /** Index of its list. */
  list: number;
  pinyin: boolean;
  homophones: boolean;
}

/** The text folds of the group the sound pass runs in (the same as its lists'). */
export interface SoundFolds {
  chinese: boolean;
  lookalikes: boolean;
  repeats: boolean;
  /** The matcher's `separators` option: separators may stand between any two syllables. */
  separators: boolean;
}

export interface SoundPass {
  /**
   * Finds the terms in a normalised buffer (before the in-place folds: it reads the characters as
   * written), calling `onMatch` with normalised offsets `[start, end)`, the entry and its tags.
   * Only matches that need `pinyin` or `homophones` are reported: the others are found by the
   * matcher's own pass.
   */
  scan(buffer: NormalizedBuffer, onMatch: (start: number, end: number, entry: number, tags: number) => void): void;
  /** Entry → its term. */
  readonly entries: readonly SoundTerm[];
  /** Terms whose readings made more than {@link MAX_READING_VARIANTS} sequences (the first ones are kept). */
  readonly capped: number;
  readonly patterns: number;
  readonly nodes: number;
  readonly bytes: number;
  /** The longest term in normalised units (for nothing else than stats). */
  readonly terms: number;
}

/** True for a term the sound folds apply to: two or more Han characters, each with a reading. */
function soundCodePoints(normalized: string): number[] | undefined {
  const cps: number[] = [];
  for (const ch of normalized) {
    const cp = ch.codePointAt(0)!;
    if (!isHan(cp) || readingsOf(cp).length === 0) return undefined;
    cps.push(cp);
  }
  return cps.length >= 2 ? cps : undefined;
}

const isAsciiLetter = (c: number) => c >= 0x61 && c <= 0x7a;
const isLatinUnit = (c: number) => isAsciiLetter(c) || c === 0xfc;

/** Builds the sound pass of a group's `pinyin`/`homophones` terms; `undefined` when there is none. */
export function createSoundPass(terms: readonly SoundTerm[], folds: SoundFolds): SoundPass | undefined {
  const repeats = folds.repeats;
  const chineseTable = folds.chinese ? chineseFoldTable() : undefined;
  const radicals = folds.lookalikes ? lookalikeTable().radical : undefined;
  /** The character the other folds read `cp` as. */
  const foldCp = (cp: number): number => {
    let f = cp;
    if (radicals && f >= 0x2e80 && f <= 0x2eff && radicals[f] !== 0) f = radicals[f]!;
    if (chineseTable) {
      const k = f < 0x10000 ? chineseTable.bmp[f]! : (chineseTable.astral.get(f) ?? 0);
      if (k !== 0) f = k;
    }
    return f;
  };

  const syllableIds = new Map<string, number>();
  const syllables: string[] = [];
  const idOf = (s: string) => {
    let id = syllableIds.get(s);
    if (id === undefined) {
      id = syllables.length;
      syllables.push(s);
      syllableIds.set(s, id);
    }
    return id;
  };

  const entries: SoundTerm[] = [];
  // Each entry's characters as written and as folded, flat: entry e is [charStart[e], charStart[e + 1]).
  const chars: number[] = [];
  const foldedChars: number[] = [];
  const charStarts: number[] = [0];
  const patterns: string[] = [];
  const patternEntry: number[] = [];
  let capped = 0;
  let anyPinyin = false;
  let anyHomophones = false;
  for (const term of terms) {
    const cps = soundCodePoints(term.normalized);
    if (!cps) continue;
    const homophones = term.homophones && cps.length >= MIN_HOMOPHONE_TERM;
    if (!term.pinyin && !homophones) continue;
    const entry = entries.length;
    entries.push(homophones === term.homophones ? term : { ...term, homophones });
    for (const cp of cps) {
      chars.push(cp);
      foldedChars.push(foldCp(cp));
    }
    charStarts.push(chars.length);
    anyPinyin ||= term.pinyin;
    anyHomophones ||= homophones;
    const readings = cps.map((cp) => readingsOf(cp).map(idOf));
    // Every combination of readings, odometer order (the most common readings first), capped.
    const digits = new Array<number>(cps.length).fill(0);
    for (let count = 0; ; count++) {
      if (count === MAX_READING_VARIANTS) {
        capped++;
        break;
      }
      let pattern = "";
      for (let k = 0; k < cps.length; k++) pattern += String.fromCharCode(1 + readings[k]![digits[k]!]!);
      patterns.push(pattern);
      patternEntry.push(entry);
      let k = cps.length - 1;
      while (k >= 0 && ++digits[k]! === readings[k]!.length) digits[k--] = 0;
      if (k < 0) break;
    }
  }
  if (patterns.length === 0) return undefined;
  const charStart = Int32Array.from(charStarts);
  const entryChars = Int32Array.from(chars);
  const entryFolded = Int32Array.from(foldedChars);
  const entryCharAt = (j: number) => entryChars[charStart[vEntry]! + j]!;
  const entryFoldedAt = (j: number) => entryFolded[charStart[vEntry]! + j]!;

  const patternIds = new Int32Array(patterns.length);
  const trie = new Automaton(patterns, patternIds);
  const patternCount = trie.patternCount;
  const groupStart = new Int32Array(patternCount + 1);
  for (let i = 0; i < patterns.length; i++) groupStart[patternIds[i]! + 1]!++;
  for (let p = 0; p < patternCount; p++) groupStart[p + 1]! += groupStart[p]!;
  const fill = groupStart.slice(0, patternCount);
  const groupEntry = new Int32Array(patterns.length);
  // Each pattern's syllable ids, flat: pattern p is [syllableStart[p], syllableStart[p + 1]).
  const syllableStart = new Int32Array(patternCount + 1);
  for (let i = 0; i < patterns.length; i++) syllableStart[patternIds[i]! + 1] = patterns[i]!.length;
  for (let p = 0; p < patternCount; p++) syllableStart[p + 1]! += syllableStart[p]!;
  const patternSyllableIds = new Uint16Array(syllableStart[patternCount]!);
  const filled = new Uint8Array(patternCount);
  for (let i = 0; i < patterns.length; i++) {
    const p = patternIds[i]!;
    groupEntry[fill[p]!++] = patternEntry[i]!;
    if (filled[p] === 0) {
      filled[p] = 1;
      const s = patterns[i]!;
      for (let k = 0; k < s.length; k++) patternSyllableIds[syllableStart[p]! + k] = s.charCodeAt(k) - 1;
    }
  }
  const groupEnd = fill;
  // Per pattern: does any of its terms allow pinyin (1) or homophones (2)? Most found sequences
  // can then be dropped without looking at the terms.
  const patternFolds = new Uint8Array(patternCount);
  for (let p = 0; p < patternCount; p++) {
    for (let g = groupStart[p]!; g < groupEnd[p]!; g++) {
      const term = entries[groupEntry[g]!]!;
      patternFolds[p]! |= (term.pinyin ? 1 : 0) | (term.homophones ? 2 : 0);
    }
  }
  const { alphabet, base, check, nodePattern } = trie.trie();
  // Trie states with children: a path that reaches a leaf ends there (unless a repeat extends it).
  const hasChildren = new Uint8Array(check.length);
  for (let t = 1; t < check.length; t++) if (check[t]! >= 0) hasChildren[check[t]!] = 1;

  // What each (folded) character of a text can be read as, for the syllables the terms use: with
  // `homophones`, every character that has one of them; with `pinyin` alone, the terms' own.
  const symbolIndex = new Int32Array(0x10000);
  const symbolLists: Uint16Array[] = [new Uint16Array(0)];
  const astralSymbols = new Map<number, Uint16Array>();
  const collected = new Map<number, number[]>();
  const addReadings = (cp: number, readings: readonly string[]) => {
    const key = foldCp(cp);
    let list = collected.get(key);
    for (const r of readings) {
      const id = syllableIds.get(r);
      if (id === undefined) continue;
      if (!list) {
        list = [];
        collected.set(key, list);
      }
      if (!list.includes(id + 1)) list.push(id + 1);
    }
  };
  if (anyHomophones) {
    const all = readingTable();
    for (let i = 0; i < all.chars.length; i++) addReadings(all.chars[i]!, all.readings[i]!);
  }
  for (const cp of entryChars) addReadings(cp, readingsOf(cp));
  for (const [key, list] of collected) {
    const symbols = Uint16Array.from(list);
    if (key < 0x10000) {
      symbolIndex[key] = symbolLists.length;
      symbolLists.push(symbols);
    } else astralSymbols.set(key, symbols);
  }
  const symbolsOf = (folded: number): Uint16Array | undefined =>
    folded < 0x10000
      ? symbolIndex[folded] === 0
        ? undefined
        : symbolLists[symbolIndex[folded]!]
      : astralSymbols.get(folded);

  // For the scan: each BMP code unit of a text, as written, straight to the trie codes of what it
  // can be read as (radical forms and Traditional/Simplified folded first, as `foldCp` does).
  const unitCodesStart = new Int32Array(0x10000);
  const unitCodesCount = new Uint8Array(0x10000);
  const codes: number[] = [];
  for (let u = 0x2e80; u < 0x10000; u++) {
    if (u >= 0xd800 && u <= 0xdfff) continue;
    const symbols = symbolsOf(foldCp(u));
    if (!symbols) continue;
    unitCodesStart[u] = codes.length;
    let count = 0;
    // Every syllable in use is in some pattern, so it has a code.
    for (const symbol of symbols) {
      codes.push(alphabet[symbol]!);
      count++;
    }
    unitCodesCount[u] = count;
  }
  const unitCodes = Int32Array.from(codes);
  let longestTerm = 0;
  for (let e = 0; e < entries.length; e++) longestTerm = Math.max(longestTerm, charStart[e + 1]! - charStart[e]!);

  // Where a path of Han characters alone may start: with homophones, where the next characters
  // can be read as the first syllables of a term (a hashed bit set of their first three; with
  // repeats, of the term with its repeated characters written once, and shorter ones in sets of
  // their own). A text is read for these first, so the trie is walked only from such places.
  const tri = new Int32Array(1 << (FILTER_BITS - 5));
  // The first two syllables of those terms, exactly (about 400 syllables: 20 KiB, which stays in
  // the processor's nearest cache): most places are ruled out without touching the larger filter.
  const codeCount = trie.alphabetSize + 1;
  // The filters take syllable codes below 1024 (there are about 410 syllables); were there more,
  // every place would be a possible start (correct, only slower).
  const filtered = codeCount <= 1024;
  const pairs = new Int32Array(Math.ceil((codeCount * codeCount) / 32));
  // And their second and third syllables, the same way.
  const laterPairs = new Int32Array(Math.ceil((codeCount * codeCount) / 32));
  // Shorter readings (with repeats: 妈妈X is read 妈X), exactly: one syllable code, or two (c0 * 1024 + c1).
  const uni = new Uint8Array(1024);
  const bi = new Int32Array((1024 * 1024) >>> 5);
  let shortTerms = false;
  for (let p = 0; p < patternCount; p++) {
    if ((patternFolds[p]! & 2) === 0) continue;
    const syllablesOfP = patternSyllableIds.subarray(syllableStart[p]!, syllableStart[p + 1]!);
    // Any entry of the pattern gives the characters (they share the syllables); take the first with homophones.
    let first = -1;
    for (let g = groupStart[p]!; g < groupEnd[p]! && first < 0; g++) {
      if (entries[groupEntry[g]!]!.homophones) first = charStart[groupEntry[g]!]!;
    }
    const keys: number[] = [];
    for (let k = 0; k < syllablesOfP.length && keys.length < 3; k++) {
      if (repeats && k > 0 && entryChars[first + k] === entryChars[first + k - 1]) continue;
      keys.push(alphabet[syllablesOfP[k]! + 1]!);
    }
    if (keys.length === 3) {
      setBit(tri, hash3(keys[0]!, keys[1]!, keys[2]!));
      setBit(pairs, keys[0]! * codeCount + keys[1]!);
      setBit(laterPairs, keys[1]! * codeCount + keys[2]!);
    } else if (keys.length === 2) setBit(bi, keys[0]! * 1024 + keys[1]!);
    else uni[keys[0]!] = 1;
    if (keys.length < 3) shortTerms = true;
  }

  // Latin spellings of the syllables in use, for splitting runs of letters.
  const spellings = new Map<string, number[]>();
  let longestSpelling = 0;
  if (anyPinyin) {
    for (const [syllable, id] of syllableIds) {
      for (const spelling of latinSpellings(syllable)) {
        let list = spellings.get(spelling);
        if (!list) {
          list = [];
          spellings.set(spelling, list);
        }
        list.push(id + 1);
        longestSpelling = Math.max(longestSpelling, spelling.length);
      }
    }
  }

  // Scratch state, reused between calls.
  // Active paths: trie node, start offset, and whether they went through Latin letters.
  let curNode = new Int32Array(64);
  let curStart = new Int32Array(64);
  let curLatin = new Uint8Array(64);
  let curCount = 0;
  let nxtNode = new Int32Array(64);
  let nxtStart = new Int32Array(64);
  let nxtLatin = new Uint8Array(64);
  let nxtCount = 0;
  let runOk = new Uint8Array(64);
  // Paths inside a run of letters, per offset (linked lists in a pool).
  let runHead = new Int32Array(64);
  let poolNode = new Int32Array(256);
  let poolStart = new Int32Array(256);
  let poolNext = new Int32Array(256);
  let poolLatin = new Uint8Array(256);
  let poolCount = 0;

  let units: Uint16Array = new Uint16Array(0);
  let length = 0;
  /** With pinyin: 1 where a path may start because Latin letters follow near enough (see `gateLatin`). */
  let gate = new Uint8Array(256);

  let report: (start: number, end: number, entry: number, tags: number) => void = () => {};

  const pushNext = (node: number, start: number, latin: number) => {
    if (nxtCount === MAX_ACTIVE) return;
    if (nxtCount === nxtNode.length) {
      nxtNode = grow(nxtNode);
      nxtStart = grow(nxtStart);
      nxtLatin = growBytes(nxtLatin);
    }
    nxtNode[nxtCount] = node;
    nxtStart[nxtCount] = start;
    nxtLatin[nxtCount] = latin;
    nxtCount++;
  };
  const swap = () => {
    const n = curNode;
    curNode = nxtNode;
    nxtNode = n;
    const s = curStart;
    curStart = nxtStart;
    nxtStart = s;
    const l = curLatin;
    curLatin = nxtLatin;
    nxtLatin = l;
    curCount = nxtCount;
    nxtCount = 0;
  };
  const poolPush = (offset: number, node: number, start: number, latin: number) => {
    if (poolCount === poolNode.length) {
      poolNode = grow(poolNode);
      poolStart = grow(poolStart);
      poolNext = grow(poolNext);
      poolLatin = growBytes(poolLatin);
    }
    poolNode[poolCount] = node;
    poolStart[poolCount] = start;
    poolLatin[poolCount] = latin;
    poolNext[poolCount] = runHead[offset]!;
    runHead[offset] = poolCount;
    poolCount++;
  };

  const codePointAt = (i: number): number => {
    const c = units[i]!;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
      const d = units[i + 1]!;
      if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
    }
    return c;
  };
  /** The code point that ends at `i` (a surrogate pair read whole). */
  const codePointBefore = (i: number): number => {
    const c = units[i - 1]!;
    if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
      const h = units[i - 2]!;
      if (h >= 0xd800 && h <= 0xdbff) return ((h - 0xd800) << 10) + (c - 0xdc00) + 0x10000;
    }
    return c;
  };
  const wordBefore = (i: number): boolean => {
    if (i <= 0) return false;
    const c = units[i - 1]!;
    if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    let cp = c;
    if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
      const h = units[i - 2]!;
      if (h >= 0xd800 && h <= 0xdbff) cp = ((h - 0xd800) << 10) + (c - 0xdc00) + 0x10000;
    }
    return isSpacedWordChar(cp);
  };
  const wordAt = (i: number): boolean => {
    if (i >= length) return false;
    const c = units[i]!;
    if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    return isSpacedWordChar(codePointAt(i));
  };

  // Verification: does `entry` fit the found sequence `syl` on [start, end), and how?
  let steps = 0;
  let vEntry = 0;
  let vSyl: Uint16Array = new Uint16Array(0);
  let vEnd = 0;
  const tagRank = (tags: number) =>
    (tags & TAG_HOMOPHONES ? 4 : 0) + (tags & TAG_PINYIN ? 2 : 0) + (tags === 0 ? 0 : 1);
  const better = (a: number, b: number) => (a < 0 ? b : b < 0 ? a : tagRank(b) < tagRank(a) ? b : a);
  const latin = (p: number, runEnd: number, j: number, tags: number): number => {
    if (++steps > MAX_VERIFY_STEPS) return -1;
    if (p === runEnd) return align(runEnd, j, -1, tags | TAG_PINYIN);
    if (j >= vSyl.length) return -1;
    let best = -1;
    for (const spelling of latinSpellings(syllables[vSyl[j]!]!)) {
      if (p + spelling.length > runEnd) continue;
      let same = true;
      for (let k = 0; k < spelling.length && same; k++) same = units[p + k] === spelling.charCodeAt(k);
      if (same) best = better(best, latin(p + spelling.length, runEnd, j + 1, tags));
    }
    return best;
  };
  const align = (pos: number, j: number, previous: number, tags: number): number => {
    if (++steps > MAX_VERIFY_STEPS) return -1;
    const term = entries[vEntry]!;
    const n = vSyl.length;
    while (pos < vEnd) {
      const cp = codePointAt(pos);
      const size = cp > 0xffff ? 2 : 1;
      if (isLatinUnit(cp)) {
        if (!term.pinyin) return -1;
        let runEnd = pos;
        while (runEnd < vEnd && isLatinUnit(units[runEnd]!)) runEnd++;
        return latin(pos, runEnd, j, tags);
      }
      const folded = foldCp(cp);
      const symbols = symbolsOf(folded);
      if (!symbols) {
        // A separator between syllables (the scan only lets through those it may skip).
        if (isSeparator(cp)) {
          pos += size;
          previous = -1;
          continue;
        }
        return -1;
      }
      const repeat = folds.repeats && cp === previous;
      let best = -1;
      if (j < n && symbols.includes(vSyl[j]! + 1)) {
        const own = entryFoldedAt(j);
        let t = tags;
        if (folded !== own) t |= TAG_HOMOPHONES;
        else if (cp !== entryCharAt(j)) {
          t |= radicals && cp >= 0x2e80 && cp <= 0x2eff && radicals[cp] !== 0 ? TAG_LOOKALIKES : TAG_CHINESE;
        }
        if ((t & TAG_HOMOPHONES) === 0 || term.homophones) best = align(pos + size, j + 1, cp, t);
      }
      if (repeat) best = better(best, align(pos + size, j, cp, tags | TAG_REPEATS));
      return best;
    }
    return j === n ? tags : -1;
  };

  /**
   * Homophones without Latin letters or skipped repeats: the found characters line up one for one
   * with the term's; returns the tags, or -1 when the span holds more characters (repeats or
   * separators to skip: `align` decides then).
   */
  const direct = (start: number, end: number): number => {
    const from = charStart[vEntry]!;
    const count = charStart[vEntry + 1]! - from;
    let tags = 0;
    let j = 0;
    for (let pos = start; pos < end; j++) {
      if (j === count) return -1;
      const cp = codePointAt(pos);
      const folded = foldCp(cp);
      if (folded !== entryFolded[from + j]) tags |= TAG_HOMOPHONES;
      else if (cp !== entryChars[from + j]) {
        tags |= radicals && cp >= 0x2e80 && cp <= 0x2eff && radicals[cp] !== 0 ? TAG_LOOKALIKES : TAG_CHINESE;
      }
      pos += cp > 0xffff ? 2 : 1;
    }
    return j === count ? tags : -1;
  };

  const emit = (node: number, start: number, end: number, latin: number) => {
    const p = nodePattern[node]! - 1;
    if (p < 0) return;
    // Without Latin letters a match needs homophones; with them, pinyin.
    if ((patternFolds[p]! & (latin ? 1 : 2)) === 0) return;
    vSyl = patternSyllableIds.subarray(syllableStart[p]!, syllableStart[p + 1]!);
    vEnd = end;
    for (let g = groupStart[p]!; g < groupEnd[p]!; g++) {
      vEntry = groupEntry[g]!;
      const term = entries[vEntry]!;
      if (latin ? !term.pinyin : !term.homophones) continue;
      let tags = latin ? -1 : direct(start, end);
      if (tags < 0) {
        steps = 0;
        tags = align(start, 0, -1, 0);
      }
      if (tags >= 0 && (tags & (TAG_PINYIN | TAG_HOMOPHONES)) !== 0) report(start, end, vEntry, tags);
    }
  };

  /** Walks a run of letters [a, b) that splits wholly into syllables. */
  const latinRun = (a: number, b: number, canStart: boolean) => {
    const size = b - a + 1;
    if (runOk.length < size) runOk = new Uint8Array(Math.max(size, runOk.length * 2));
    // runOk[k - a]: the letters from k to the run's end split into syllables.
    runOk.fill(0, 0, size);
    runOk[size - 1] = 1;
    for (let k = b - 1; k >= a; k--) {
      for (let len = 1; len <= longestSpelling && k + len <= b; len++) {
        if (runOk[k + len - a] === 0) continue;
        if (spellings.has(String.fromCharCode(...units.subarray(k, k + len)))) {
          runOk[k - a] = 1;
          break;
        }
      }
    }
    if (runOk[0] === 0) {
      curCount = 0;
      return;
    }
    if (runHead.length < size) runHead = new Int32Array(Math.max(size, runHead.length * 2));
    runHead.fill(-1, 0, size);
    poolCount = 0;
    for (let q = 0; q < curCount; q++) poolPush(0, curNode[q]!, curStart[q]!, 1);
    if (canStart) poolPush(0, 0, a, 1);
    nxtCount = 0;
    for (let k = a; k < b; k++) {
      if (runOk[k - a] === 0 || runHead[k - a] === -1) continue;
      for (let len = 1; len <= longestSpelling && k + len <= b; len++) {
        if (runOk[k + len - a] === 0) continue;
        const symbols = spellings.get(String.fromCharCode(...units.subarray(k, k + len)));
        if (!symbols) continue;
        for (let e = runHead[k - a]!; e !== -1; e = poolNext[e]!) {
          for (const s of symbols) {
            const t = trie.next(poolNode[e]!, s);
            if (t < 0) continue;
            if (k + len === b) pushNext(t, poolStart[e]!, 1);
            else if (poolCount < MAX_ACTIVE * 4) poolPush(k + len - a, t, poolStart[e]!, 1);
          }
        }
      }
    }
    const endsWord = !wordAt(b);
    swap();
    if (endsWord) for (let q = 0; q < curCount; q++) emit(curNode[q]!, curStart[q]!, b, 1);
  };

  /**
   * With homophones: can a path of Han characters alone start at `pos` (character `u`, with
   * codes)? Yes when it and the next two characters (with repeats, a character that repeats the one
   * before is read with it; with separators, separators between are skipped) can be read as the
   * first syllables of a term, as the start filters say.
   */
  const homophoneStart = (pos: number, u: number): boolean => {
    if (!filtered) return true;
    let p1 = pos + 1;
    if (repeats) while (p1 < length && units[p1] === u) p1++;
    if (folds.separators) while (p1 < length && isSeparator(units[p1]!)) p1++;
    const u1 = p1 < length ? units[p1]! : 0;
    if (u1 >= 0xd800 && u1 <= 0xdbff) return true;
    const n1 = u1 >= 0x2e80 ? unitCodesCount[u1]! : 0;
    let p2 = p1 + 1;
    if (repeats) while (p2 < length && units[p2] === u1) p2++;
    if (folds.separators) while (p2 < length && isSeparator(units[p2]!)) p2++;
    const u2 = n1 > 0 && p2 < length ? units[p2]! : 0;
    if (u2 >= 0xd800 && u2 <= 0xdbff) return true;
    const n2 = u2 >= 0x2e80 ? unitCodesCount[u2]! : 0;
    const s0 = unitCodesStart[u]!;
    const e0 = s0 + unitCodesCount[u]!;
    for (let a = s0; a < e0; a++) {
      const c0 = unitCodes[a]!;
      if (shortTerms && uni[c0] === 1) return true;
      const s1 = unitCodesStart[u1]!;
      for (let b = s1; b < s1 + n1; b++) {
        const c1 = unitCodes[b]!;
        if (shortTerms && getBit(bi, c0 * 1024 + c1)) return true;
        if (!getBit(pairs, c0 * codeCount + c1)) continue;
        const s2 = unitCodesStart[u2]!;
        for (let c = s2; c < s2 + n2; c++) {
          const c2 = unitCodes[c]!;
          if (getBit(laterPairs, c1 * codeCount + c2) && getBit(tri, hash3(c0, c1, c2))) return true;
        }
      }
    }
    return false;
  };

  /**
   * With pinyin: marks in `gate` the Han characters near enough before a Latin letter for a path
   * that starts there to reach it. (Where paths of Han characters alone start, `homophoneStart`
   * decides on the way.)
   */
  const gateLatin = () => {
    if (gate.length < length + 1) gate = new Uint8Array(Math.max(length + 1, gate.length * 2));
    gate.fill(0, 0, length + 1);
    if (anyPinyin) {
      // A path that reaches a Latin letter starts at most as many characters before it as a term
      // has (separators between do not count: a run of them may stand beside Latin letters).
      let before = -1;
      for (let pos = length - 1; pos >= 0; pos--) {
        const c = units[pos]!;
        if (isLatinUnit(c)) before = 0;
        else if (before >= 0 && !((c < 0xd800 || c > 0xdfff) && isSeparator(c))) {
          if (++before <= longestTerm || folds.separators) gate[pos] = 1;
          else before = -1;
        }
      }
    }
  };

  const scan = (
    buffer: NormalizedBuffer,
    onMatch: (start: number, end: number, entry: number, tags: number) => void,
  ): void => {
    units = buffer.units;
    length = buffer.length;
    report = onMatch;
    curCount = 0;
    nxtCount = 0;
    if (anyPinyin) gateLatin();
    // Where the skip below last found that a path may start (so as not to ask twice).
    let openAt = -1;
    let previousHan = -1;
    let previousLatin = false;
    let pos = 0;
    while (pos < length) {
      if (curCount === 0) {
        // No path to continue: go straight to the next place one may start.
        for (; pos < length; pos++) {
          const u = units[pos]!;
          if (anyPinyin && (gate[pos] === 1 || isLatinUnit(u))) break;
          if (u >= 0xd800 && u <= 0xdbff) break;
          if (
            anyHomophones &&
            u >= 0x2e80 &&
            unitCodesCount[u] !== 0 &&
            !(repeats && pos > 0 && units[pos - 1] === u) &&
            homophoneStart(pos, u)
          ) {
            openAt = pos;
            break;
          }
        }
        if (pos >= length) break;
        const before = pos > 0 ? units[pos - 1]! : 0;
        previousHan = before >= 0x2e80 && before < 0xd800 ? before : pos > 1 ? codePointBefore(pos) : -1;
        previousLatin = false;
      }
      const c = units[pos]!;
      if (isLatinUnit(c)) {
        if (!anyPinyin) {
          curCount = 0;
          pos++;
          previousHan = -1;
          continue;
        }
        let end = pos + 1;
        while (end < length && isLatinUnit(units[end]!)) end++;
        // A run that follows a letter or digit of another script, or a digit, is not a word of its own.
        latinRun(pos, end, !wordBefore(pos));
        pos = end;
        previousHan = -1;
        previousLatin = true;
        continue;
      }
      const cp = codePointAt(pos);
      const size = cp > 0xffff ? 2 : 1;
      let codeStart = 0;
      let codeCount = 0;
      let codeArray = unitCodes;
      if (cp < 0x10000) {
        codeCount = unitCodesCount[cp]!;
        codeStart = unitCodesStart[cp]!;
      } else {
        const symbols = symbolsOf(foldCp(cp));
        if (symbols) {
          codeArray = Int32Array.from(symbols, (symbol) => alphabet[symbol]!);
          codeCount = codeArray.length;
        }
      }
      if (codeCount > 0) {
        const codeEnd = codeStart + codeCount;
        const repeat = folds.repeats && cp === previousHan;
        // A path that ends a term here lives on only when the next character repeats this one.
        const nextRepeats = repeats && pos + size < length && codePointAt(pos + size) === cp;
        nxtCount = 0;
        const end = pos + size;
        if (nxtNode.length < (curCount + 1) * codeCount + curCount + 1) {
          const size2 = Math.max(nxtNode.length * 2, (curCount + 1) * codeCount + curCount + 1);
          nxtNode = new Int32Array(size2);
          nxtStart = new Int32Array(size2);
          nxtLatin = new Uint8Array(size2);
        }
        for (let q = 0; q < curCount; q++) {
          const node = curNode[q]!;
          const start = curStart[q]!;
          const latin = curLatin[q]!;
          const b = base[node]!;
          for (let k = codeStart; k < codeEnd; k++) {
            const t = b + codeArray[k]!;
            if (check[t] !== node) continue;
            if (hasChildren[t] !== 0 || (nextRepeats && nodePattern[t] !== 0)) {
              nxtNode[nxtCount] = t;
              nxtStart[nxtCount] = start;
              nxtLatin[nxtCount] = latin;
              nxtCount++;
            }
            if (nodePattern[t] !== 0) emit(t, start, end, latin);
          }
          if (repeat) {
            nxtNode[nxtCount] = node;
            nxtStart[nxtCount] = start;
            nxtLatin[nxtCount] = latin;
            nxtCount++;
            if (nodePattern[node] !== 0) emit(node, start, end, latin);
          }
        }
        if (
          !repeat &&
          (cp > 0xffff ||
            (anyPinyin && gate[pos] === 1) ||
            (anyHomophones && (openAt === pos || homophoneStart(pos, cp))))
        ) {
          const b = base[0]!;
          for (let k = codeStart; k < codeEnd; k++) {
            const t = b + codeArray[k]!;
            if (check[t] === 0) {
              nxtNode[nxtCount] = t;
              nxtStart[nxtCount] = pos;
              nxtLatin[nxtCount] = 0;
              nxtCount++;
            }
          }
        }
        if (nxtCount > MAX_ACTIVE) nxtCount = MAX_ACTIVE;
        swap();
        pos = end;
        previousHan = cp;
        previousLatin = false;
        continue;
      }
      if (isSeparator(cp)) {
        let end = pos + size;
        while (end < length) {
          const d = codePointAt(end);
          if (!isSeparator(d)) break;
          end += d > 0xffff ? 2 : 1;
        }
        const skip = folds.separators || previousLatin || (end < length && isLatinUnit(units[end]!) && anyPinyin);
        if (!skip) curCount = 0;
        pos = end;
        previousHan = -1;
        continue;
      }
      curCount = 0;
      pos += size;
      previousHan = -1;
      previousLatin = false;
    }
  };

  let bytes = trie.byteSize + symbolIndex.byteLength + syllables.length * 64;
  for (const list of symbolLists) bytes += list.byteLength + 16;
  bytes += charStart.byteLength + entryChars.byteLength * 2 + syllableStart.byteLength + patternSyllableIds.byteLength;
  return Object.freeze({
    scan,
    entries,
    capped,
    patterns: patternCount,
    nodes: trie.nodeCount,
    bytes,
    terms: entries.length,
  });
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function growBytes(a: Uint8Array): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(a.length * 2);
  b.set(a);
  return b;
}
