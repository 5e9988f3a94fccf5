/**
 * The sound pass of Chinese keyword lists: terms found by how they sound, for the `pinyin` fold
 * (a term's characters written as toneless pinyin syllables, `fa lun gong`, `法lun功`) and the
 * `homophones` fold (characters replaced by others that share a syllable, `发轮功`).
 *
 * Terms are turned, when the matcher is built, into sequences of syllables: one sequence per
 * combination of their characters' readings (a polyphonic character matches on any of its
 * readings), at most {@link MAX_READING_VARIANTS} per term. The sequences go into an
 * {@link Automaton} over syllable ids. A text is read in two ways:
 *
 * - Sequences of Han characters alone (`homophones`): the automaton runs over the text's runs of
 *   characters (with `repeats`, a character and its repeats are one run), following failure links
 *   as Aho-Corasick does, from a small set of states (one per reading of the polyphonic characters
 *   still in reach). A found sequence ends where its last run ends; where it starts is known from
 *   its length, or, when a run of repeats may stand for several syllables, from a short walk back.
 * - Sequences with Latin letters (`pinyin`): a set of active paths, each with its start, walks the
 *   trie from the characters near Latin letters, each Han character standing for its syllables and
 *   each run of letters for every way it splits into syllables.
 *
 * Then each found sequence is checked against the term: a Han character that is not the term's own
 * (as the list's other folds see it) needs `homophones`, Latin syllables need `pinyin`.
 *
 * Only tables for the syllables the terms use are built; the pinyin library is not called while
 * texts are judged.
 */
import { Automaton, packStates } from "./automaton.ts";
import { chineseFoldTable } from "./chinese-fold.ts";
import { isSeparator, isSpacedWordChar, type NormalizedBuffer } from "./normalize.ts";
import { latinSpellings, readingTable, readingsOf } from "./readings.ts";
import { isHan, lookalikeTable } from "./zh-folds.ts";
import { Interner } from "../text/interner.ts";

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

function setBit(bits: Int32Array, i: number): void {
  bits[i >>> 5]! |= 1 << (i & 31);
}

function getBit(bits: Int32Array, i: number): boolean {
  return (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
}

/**
 * Most active paths, and most automaton states, kept while reading a text (a safety bound: a state
 * stands for the readings of the polyphonic characters in reach, and real texts keep a few).
 */
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

export interface SoundPassOptions {
  /**
   * Find sequences of Han characters alone by walking paths from every character, as sequences
   * with Latin letters are found, instead of with the automaton. The straightforward algorithm the
   * automaton replaced: slower, kept as the reference its property test compares it with.
   */
  walk?: boolean;
}

export interface SoundPass {
  /**
   * Finds the terms in a normalised buffer (before the in-place folds: it reads the characters as
   * written), calling `onMatch` with normalised offsets `[start, end)`, the entry and its tags.
   * Only matches that need `pinyin` or `homophones` are reported: the others are found by the
   * matcher's own pass. One call per start and entry (the longest match from there), in order of
   * start, then entry.
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
export function createSoundPass(
  terms: readonly SoundTerm[],
  folds: SoundFolds,
  options: SoundPassOptions = {},
): SoundPass | undefined {
  const walkAll = options.walk === true;
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

  const syllableIds = new Interner();
  const syllables = syllableIds.values;
  const idOf = (s: string) => syllableIds.id(s);

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
  const { alphabet, base, check, nodePattern, dict } = trie.trie();
  // Trie states with children: a path that reaches a leaf ends there (unless a repeat extends it).
  const hasChildren = new Uint8Array(check.length);
  for (let t = 1; t < check.length; t++) if (check[t]! >= 0) hasChildren[check[t]!] = 1;
  // The automaton's states for its run over a text, four numbers each, side by side so that a step
  // mostly reads one place of memory (packStates), marked where a state ends, itself or through a
  // suffix, a sequence a homophone term uses. When a state's child bit for code c is clear, it has
  // no child on c, and the step goes to the failure link without reading the child's check.
  const endsHomophoneSequence = (t: number) => {
    for (let o = nodePattern[t] !== 0 ? t : dict[t]!; o !== 0; o = dict[o]!) {
      if ((patternFolds[nodePattern[o]! - 1]! & 2) !== 0) return true;
    }
    return false;
  };
  const states = anyHomophones && !walkAll ? packStates(trie, endsHomophoneSequence) : new Int32Array(0);

  // The automaton's first two levels are dense (about 400 syllables, and most pairs of them begin
  // some term of a large list), the third sparse: a step that lands on a state of depth two reads a
  // place of the large states array that is not in the processor's caches. So states of depth one
  // and two are kept implicit, as their codes, and told apart by small bit sets: which codes a
  // state of depth one takes (`firstCodes`), which pairs a state of depth two (`pairCodes`, exact),
  // and which triples may begin a state of depth three (`tripleCodes`, a Bloom filter of two hashes:
  // a false positive only costs reading the states array). An implicit state is a negative
  // number, ~(c0 * 1024 + c1) (c0 = 0 at depth one); the states array is read only from depth
  // three on, where outputs are (homophones apply to terms of MIN_HOMOPHONE_TERM >= 3 characters).
  // Codes must be below 1024 (there are about 410 syllables); were there more, states stay real.
  const codeCount = trie.alphabetSize + 1;
  const shallow = states.length > 0 && codeCount <= 1024 && MIN_HOMOPHONE_TERM >= 3;
  const firstCodes = new Uint8Array(shallow ? codeCount : 0);
  const pairCodes = new Int32Array(shallow ? Math.ceil((codeCount * codeCount) / 32) : 0);
  let depthThree = 0;
  const depthOf = (t: number): number => {
    let d = 0;
    for (let q = t; q !== 0 && d < 4; q = check[q]!) d++;
    return d;
  };
  if (shallow) {
    for (let t = 1; t < check.length; t++) if (check[t]! >= 0 && depthOf(t) === 3) depthThree++;
  }
  // About 16 bits per state of depth three (two hashes: a false positive in 70), at most 2^22 bits
  // (512 KiB). The second bit is read only where the first is set.
  let tripleBits = 10;
  while (tripleBits < 22 && 1 << tripleBits < depthThree * 16) tripleBits++;
  const tripleCodes = new Int32Array(shallow ? 1 << (tripleBits - 5) : 0);
  const tripleShift = 32 - tripleBits;
  /** Whether a state of depth three may take codes c0, c1, c2 (false: it does not). */
  const mayBeTriple = (c0: number, c1: number, c2: number): boolean => {
    const key = (c0 << 20) | (c1 << 10) | c2;
    return (
      getBit(tripleCodes, Math.imul(key, 0x9e3779b1) >>> tripleShift) &&
      getBit(tripleCodes, Math.imul(key, 0x85ebca6b) >>> tripleShift)
    );
  };
  if (shallow) {
    for (let t = 1; t < check.length; t++) {
      if (check[t]! < 0) continue;
      const depth = depthOf(t);
      const parent = check[t]!;
      const code = t - base[parent]!;
      if (depth === 1) firstCodes[code] = 1;
      else if (depth === 2) setBit(pairCodes, (parent - base[0]!) * codeCount + code);
      else if (depth === 3) {
        const grandparent = check[parent]!;
        const key = ((grandparent - base[0]!) << 20) | ((parent - base[grandparent]!) << 10) | code;
        setBit(tripleCodes, Math.imul(key, 0x9e3779b1) >>> tripleShift);
        setBit(tripleCodes, Math.imul(key, 0x85ebca6b) >>> tripleShift);
      }
    }
  }
  const root4 = states.length > 0 ? states[0]! : 0;
  /** The state of depth one or two (implicit) or the root that `code` leads to after the code `c1` (0 for none). */
  const shallowNext = (c1: number, code: number): number =>
    c1 !== 0 && getBit(pairCodes, c1 * codeCount + code) ? ~((c1 << 10) | code) : firstCodes[code] === 1 ? ~code : 0;

  /**
   * The state the automaton reaches from state `q` (an offset in `states`, or implicit) on trie
   * code `code`, following failure links; 0 for the root.
   */
  const next = (q: number, code: number): number => {
    if (q < 0) {
      const key = ~q;
      const c0 = key >> 10;
      const c1 = key & 1023;
      if (c0 === 0 || !mayBeTriple(c0, c1, code)) return shallowNext(c1, code);
      // Maybe a state of depth three: read the states array from the state of (c0, c1).
      q = states[root4 + 4 * c0]! + 4 * c1;
    }
    const bit = 1 << (code & 31);
    for (;;) {
      // The root, or a state of depth one (its check is the root): the bit sets know what follows.
      if (shallow && states[q + 1]! <= 0) return shallowNext(q === 0 ? 0 : (q - root4) >> 2, code);
      if ((states[q + 3]! & bit) !== 0) {
        const x = states[q]! + 4 * code;
        if (states[x + 1] === q) return x;
      }
      if (q === 0) return 0;
      q = states[q + 2]! & ~3;
    }
  };

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
      const id = syllableIds.known(r);
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
  /** The code of a unit that has one, for the automaton's usual step (0 for none or several). */
  const unitCode = new Uint16Array(0x10000);
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
    if (count === 1) unitCode[u] = codes[codes.length - 1]!;
  }
  const unitCodes = Int32Array.from(codes);
  let longestTerm = 0;
  for (let e = 0; e < entries.length; e++) longestTerm = Math.max(longestTerm, charStart[e + 1]! - charStart[e]!);

  // The trie codes of the astral characters that have syllables (keyed as folded), for the automaton.
  const astralCodes = new Map<number, Int32Array>();
  for (const [key, symbols] of astralSymbols)
    astralCodes.set(
      key,
      Int32Array.from(symbols, (symbol) => alphabet[symbol]!),
    );

  // Latin spellings of the syllables in use, for splitting runs of letters.
  const spellings = new Map<string, number[]>();
  let longestSpelling = 0;
  if (anyPinyin) {
    for (const [id, syllable] of syllables.entries()) {
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
  // Matches found in a text, reported when it has been read (the longest per start and entry).
  // Four numbers each: start, end, entry, tags.
  let foundRows = new Int32Array(64);
  let foundCount = 0;
  const foundOrder: number[] = [];

  // The automaton's scratch: its set of states (none for the root), the set one step reaches, the
  // states a run of repeats reaches, and the set a step starts from inside such a run.
  const setSize = anyHomophones && !walkAll ? MAX_ACTIVE : 0;
  let stateSet = new Int32Array(setSize);
  let stepSet = new Int32Array(setSize);
  let runSet = new Int32Array(setSize);
  const lastSet = new Int32Array(setSize);
  /** Where each run of the text read so far starts (its character and repeats are read there again). */
  let runStart = new Int32Array(256);
  /** Whether the automaton's run over the text met a Latin letter (`pinyin` walks only then). */
  let latinSeen = false;
  /** First run of the stretch of characters the automaton reads now (it restarts after a break). */
  let segment = 0;
  // For the walk back over runs of repeats: which syllables of a sequence are still to place.
  let need = new Uint8Array(16);
  let needNext = new Uint8Array(16);
  /** Patterns already handled at the current run's end (when the set holds several states). */
  let handled = new Int32Array(16);

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
  /** Whether the code point `cp` is a letter or digit of a script written with spaces (Latin: a–z, 0–9 once normalised). */
  const isWord = (cp: number): boolean =>
    cp < 0x80 ? (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) : isSpacedWordChar(cp);
  const wordBefore = (i: number): boolean => i > 0 && isWord(codePointBefore(i));
  const wordAt = (i: number): boolean => i < length && isWord(codePointAt(i));

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

  /**
   * Checks the terms of pattern `p`, found on [start, end) through Latin letters (`latin`) or not,
   * and keeps those that fit. Without Latin letters the sequence's last run of repeats may end
   * earlier, after `floor`, in steps of `size` units: where a check fails at the run's end (on the
   * step bound) the shorter spans are tried, at most as many as the term has characters.
   */
  const verify = (p: number, start: number, end: number, latin: number, floor: number, size: number) => {
    vSyl = patternSyllableIds.subarray(syllableStart[p]!, syllableStart[p + 1]!);
    for (let g = groupStart[p]!; g < groupEnd[p]!; g++) {
      vEntry = groupEntry[g]!;
      const term = entries[vEntry]!;
      if (latin ? !term.pinyin : !term.homophones) continue;
      for (let e = end, tries = 0; e > floor && tries <= vSyl.length; e -= size, tries++) {
        vEnd = e;
        let tags = latin ? -1 : direct(start, e);
        if (tags < 0) {
          steps = 0;
          tags = align(start, 0, -1, 0);
        }
        if (tags >= 0 && (tags & (TAG_PINYIN | TAG_HOMOPHONES)) !== 0) {
          found(start, e, vEntry, tags);
          break;
        }
      }
    }
  };

  /** A path of the walk at a trie node on [start, end): checks the pattern that ends there. */
  const emit = (node: number, start: number, end: number, latin: number) => {
    const p = nodePattern[node]! - 1;
    if (p < 0) return;
    // Sequences of characters alone are the automaton's, unless the walk goes everywhere.
    if (latin === 0 && !walkAll) return;
    // Without Latin letters a match needs homophones; with them, pinyin.
    if ((patternFolds[p]! & (latin ? 1 : 2)) === 0) return;
    verify(p, start, end, latin, end - 1, 1);
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
   * With pinyin: marks in `gate` the Han characters near enough before a Latin letter for a path
   * that starts there to reach it. Returns false, leaving `gate` alone, when the text has no Latin
   * letter.
   */
  const gateLatin = (): boolean => {
    let last = length - 1;
    while (last >= 0 && !isLatinUnit(units[last]!)) last--;
    if (last < 0) return false;
    if (gate.length < length + 1) gate = new Uint8Array(Math.max(length + 1, gate.length * 2));
    gate.fill(0, 0, length + 1);
    // A path that reaches a Latin letter starts at most as many characters before it as a term
    // has (separators between do not count: a run of them may stand beside Latin letters; with
    // repeats, a run of one character counts once).
    let before = -1;
    for (let pos = last; pos >= 0; pos--) {
      const c = units[pos]!;
      if (isLatinUnit(c)) before = 0;
      else if (before >= 0 && !((c < 0xd800 || c > 0xdfff) && isSeparator(c))) {
        if (!(repeats && pos + 1 < length && units[pos + 1] === c)) before++;
        if (before <= longestTerm || folds.separators) gate[pos] = 1;
        else before = -1;
      }
    }
    return true;
  };

  /**
   * Walks paths along the text from every place a sequence with Latin letters may start (with
   * `walk`, from every character), reporting the sequences found.
   */
  const walkPaths = (): void => {
    curCount = 0;
    nxtCount = 0;
    if (!(anyPinyin && gateLatin())) {
      // Without Latin letters there is nothing to walk, but with `walk` (which starts everywhere).
      if (!walkAll) return;
      gate.fill(0);
    }
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
          if (walkAll && u >= 0x2e80 && unitCodesCount[u] !== 0 && !(repeats && pos > 0 && units[pos - 1] === u)) {
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
      let codeArray: Int32Array = unitCodes;
      if (cp < 0x10000) {
        codeCount = unitCodesCount[cp]!;
        codeStart = unitCodesStart[cp]!;
      } else {
        const astral = astralCodes.get(foldCp(cp));
        if (astral) {
          codeArray = astral;
          codeCount = astral.length;
        }
      }
      if (codeCount > 0) {
        const codeEnd = codeStart + codeCount;
        const repeat = folds.repeats && cp === previousHan;
        // A path that ends a term here lives on only when the next character repeats this one.
        const nextRepeats = repeats && pos + size < length && codePointAt(pos + size) === cp;
        nxtCount = 0;
        const end = pos + size;
        for (let q = 0; q < curCount; q++) {
          const node = curNode[q]!;
          const start = curStart[q]!;
          const latin = curLatin[q]!;
          const b = base[node]!;
          for (let k = codeStart; k < codeEnd; k++) {
            const t = b + codeArray[k]!;
            if (check[t] !== node) continue;
            if (hasChildren[t] !== 0 || (nextRepeats && nodePattern[t] !== 0)) pushNext(t, start, latin);
            if (nodePattern[t] !== 0) emit(t, start, end, latin);
          }
          if (repeat) {
            pushNext(node, start, latin);
            if (nodePattern[node] !== 0) emit(node, start, end, latin);
          }
        }
        if (!repeat && (cp > 0xffff || walkAll || (anyPinyin && gate[pos] === 1))) {
          const b = base[0]!;
          for (let k = codeStart; k < codeEnd; k++) {
            const t = b + codeArray[k]!;
            if (check[t] === 0) pushNext(t, pos, 0);
          }
        }
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

  /** Keeps a match (normalised offsets) for the report at the end of the text. */
  const found = (start: number, end: number, entry: number, tags: number) => {
    const at = 4 * foundCount++;
    if (at === foundRows.length) foundRows = grow(foundRows);
    foundRows[at] = start;
    foundRows[at + 1] = end;
    foundRows[at + 2] = entry;
    foundRows[at + 3] = tags;
  };

  /**
   * Reports the matches kept, one per start and entry: the longest (a run of repeats at its end
   * makes it longer), and of several ways to read it the one that needs the fewest folds (then the
   * lowest tag bits), so the report does not depend on the order the matches were found in.
   */
  const flush = () => {
    if (foundCount === 0) return;
    foundOrder.length = foundCount;
    for (let i = 0; i < foundCount; i++) foundOrder[i] = 4 * i;
    const rows = foundRows;
    foundOrder.sort(
      (x, y) =>
        rows[x]! - rows[y]! ||
        rows[x + 2]! - rows[y + 2]! ||
        rows[y + 1]! - rows[x + 1]! ||
        tagRank(rows[x + 3]!) - tagRank(rows[y + 3]!) ||
        rows[x + 3]! - rows[y + 3]!,
    );
    let lastStart = -1;
    let lastEntry = -1;
    for (const at of foundOrder) {
      if (rows[at] === lastStart && rows[at + 2] === lastEntry) continue;
      lastStart = rows[at]!;
      lastEntry = rows[at + 2]!;
      report(lastStart, rows[at + 1]!, lastEntry, rows[at + 3]!);
    }
  };

  /** Whether a text character `cp` (as written, with syllables) can be read as trie code `code`. */
  const readsAs = (cp: number, code: number): boolean => {
    if (cp < 0x10000) {
      const from = unitCodesStart[cp]!;
      const to = from + unitCodesCount[cp]!;
      for (let k = from; k < to; k++) if (unitCodes[k] === code) return true;
      return false;
    }
    const codes = astralCodes.get(foldCp(cp));
    return codes?.includes(code) === true;
  };

  /**
   * Adds state `t` to `set[0..count)` unless it is there (or the set is full); returns the new
   * count. Sets have room for MAX_ACTIVE states.
   */
  const addUnique = (set: Int32Array, count: number, t: number): number => {
    for (let j = 0; j < count; j++) if (set[j] === t) return count;
    if (count === MAX_ACTIVE) return count;
    set[count] = t;
    return count + 1;
  };

  /**
   * Removes from `stepSet[0..k)` the implicit states of depth one whose code an implicit state of
   * depth two of the set ends with; returns the new count.
   */
  const dropDominated = (k: number): number => {
    let kept = 0;
    for (let i = 0; i < k; i++) {
      const t = stepSet[i]!;
      if (t < 0 && ~t < 1024) {
        let dominated = false;
        for (let j = 0; j < k && !dominated; j++) {
          const o = stepSet[j]!;
          dominated = o < 0 && ~o >= 1024 && (~o & 1023) === ~t;
        }
        if (dominated) continue;
      }
      stepSet[kept++] = t;
    }
    return kept;
  };

  /**
   * Writes into `stepSet` the states the automaton reaches from the states `set[0..n)` (from the
   * root when `n` is 0) on any of the codes `codes[from..to)`; the root is left out (an empty set
   * is the root). Returns how many.
   */
  const step = (set: Int32Array, n: number, codes: Int32Array, from: number, to: number): number => {
    let k = 0;
    const count = n === 0 ? 1 : n;
    for (let i = 0; i < count; i++) {
      const q = n === 0 ? 0 : set[i]!;
      for (let c = from; c < to; c++) {
        const t = next(q, codes[c]!);
        if (t !== 0) k = addUnique(stepSet, k, t);
      }
    }
    return k;
  };

  /**
   * A homophone sequence (pattern `p`) found ending with run `b` (at `end`): where it starts. When
   * no run in its reach stands more than once, it starts as many runs back as it has syllables;
   * else a run of `m` repeats stands for 1 to `m` of its syllables (each a reading of the
   * character), and every start the runs allow is checked.
   */
  /** How many times the character `cp` at `pos` stands there in a row (once without `repeats`). */
  const runLengthAt = (pos: number, cp: number): number => {
    if (!repeats) return 1;
    const size = cp > 0xffff ? 2 : 1;
    let m = 1;
    for (let k = pos + size; k + size <= length && codePointAt(k) === cp; k += size) m++;
    return m;
  };

  const hanMatch = (p: number, b: number, end: number, lastLong: number) => {
    const from = syllableStart[p]!;
    const n = syllableStart[p + 1]! - from;
    const lastSize = codePointAt(runStart[b]!) > 0xffff ? 2 : 1;
    const first = b - n + 1;
    if (first >= segment && lastLong < first) {
      verify(p, runStart[first]!, end, 0, runStart[b]!, lastSize);
      return;
    }
    if (need.length < n + 1) {
      need = new Uint8Array(n + 1);
      needNext = new Uint8Array(n + 1);
    }
    need.fill(0, 0, n + 1);
    need[n] = 1;
    for (let r = b; r >= segment && r > b - n; r--) {
      needNext.fill(0, 0, n + 1);
      const cp = codePointAt(runStart[r]!);
      const m = Math.min(runLengthAt(runStart[r]!, cp), n);
      let left = false;
      for (let j = 1; j <= n; j++) {
        if (need[j] === 0) continue;
        for (let k = 1; k <= m && k <= j; k++) {
          if (!readsAs(cp, alphabet[patternSyllableIds[from + j - k]! + 1]!)) break;
          needNext[j - k] = 1;
          if (j - k > 0) left = true;
        }
      }
      if (needNext[0] === 1) verify(p, runStart[r]!, end, 0, runStart[b]!, lastSize);
      const swapped = need;
      need = needNext;
      needNext = swapped;
      if (!left) break;
    }
  };

  /** The homophone sequences that end with run `b` (at `end`): the outputs of the set's states. */
  const outputs = (b: number, end: number, lastLong: number, stateCount: number) => {
    let handledCount = 0;
    for (let i = 0; i < stateCount; i++) {
      // Outputs are at depth three or more, where states are real.
      if (stateSet[i]! <= 0 || (states[stateSet[i]! + 2]! & 1) === 0) continue;
      const s = stateSet[i]! >> 2;
      for (let o = nodePattern[s] !== 0 ? s : dict[s]!; o !== 0; o = dict[o]!) {
        const p = nodePattern[o]! - 1;
        if ((patternFolds[p]! & 2) === 0) continue;
        if (stateCount > 1) {
          let h = 0;
          while (h < handledCount && handled[h] !== p) h++;
          if (h < handledCount) continue;
          if (handledCount === handled.length) handled = grow(handled);
          handled[handledCount++] = p;
        }
        hanMatch(p, b, end, lastLong);
      }
    }
  };

  /**
   * Reads the text's runs of Han characters with the automaton (homophones): the sequences of
   * characters alone. A run of a character and its repeats (with `repeats`) reaches the states of 1
   * to as many syllables as it has characters; separators keep the states with the `separators`
   * option; anything else starts again from the root.
   */
  const readRuns = (): void => {
    const runsNeeded = length + 1;
    if (runStart.length < runsNeeded) {
      const size = Math.max(runsNeeded, runStart.length * 2);
      runStart = new Int32Array(size);
    }
    let stateCount = 0;
    let runs = 0;
    let lastLong = -1;
    segment = 0;
    let pos = 0;
    while (pos < length) {
      if (shallow && (stateCount === 0 || (stateCount === 1 && stateSet[0]! < 0))) {
        // The usual case: the state is implicit (codes c0, c1 in registers), and characters with
        // one reading, no repeat, and no possible state of depth three after them take it to
        // another implicit state, without outputs. Anything else is left to the steps below.
        const key = stateCount === 0 ? 0 : ~stateSet[0]!;
        let c0 = key >> 10;
        let c1 = key & 1023;
        const before = pos;
        while (pos < length) {
          const u = units[pos]!;
          const code = unitCode[u]!;
          if (code === 0 || (repeats && pos + 1 < length && units[pos + 1] === u)) break;
          if (c0 !== 0 && mayBeTriple(c0, c1, code)) break;
          runStart[runs++] = pos++;
          if (c1 !== 0 && getBit(pairCodes, c1 * codeCount + code)) {
            c0 = c1;
            c1 = code;
          } else {
            c0 = 0;
            c1 = firstCodes[code] === 1 ? code : 0;
          }
        }
        if (pos > before) {
          stateSet[0] = c1 === 0 ? 0 : ~((c0 << 10) | c1);
          stateCount = c1 === 0 ? 0 : 1;
          if (pos === length) break;
        }
      }
      const u = units[pos]!;
      if (shallow && u < 0xd800 && unitCodesCount[u]! > 0 && !(repeats && pos + 1 < length && units[pos + 1] === u)) {
        // After a character with several readings: a few implicit states, each stepped on each
        // code of a BMP character without a repeat. While no state of depth three may follow, the
        // next states are implicit too, and there are no outputs.
        const from = unitCodesStart[u]!;
        const to = from + unitCodesCount[u]!;
        const n = stateCount === 0 ? 1 : stateCount;
        let k = 0;
        let i = 0;
        for (; i < n; i++) {
          const q = stateCount === 0 ? 0 : stateSet[i]!;
          if (q > 0) break;
          const key = ~q;
          const c0 = key >> 10;
          const c1 = q === 0 ? 0 : key & 1023;
          let c = from;
          for (; c < to; c++) {
            const code = unitCodes[c]!;
            if (c0 !== 0 && q !== 0 && mayBeTriple(c0, c1, code)) break;
            const t = shallowNext(c1, code);
            if (t !== 0) k = addUnique(stepSet, k, t);
          }
          if (c < to) break;
        }
        if (i === n) {
          // A state of depth one on a code that a state of depth two also ends with adds nothing:
          // whatever follows, it reaches a suffix of what the other reaches (so its outputs too).
          if (k > 1) k = dropDominated(k);
          runStart[runs++] = pos++;
          const swapped = stateSet;
          stateSet = stepSet;
          stepSet = swapped;
          stateCount = k;
          continue;
        }
      }
      const single = unitCode[u]!;
      if (single !== 0 && stateCount <= 1 && !(repeats && pos + 1 < length && units[pos + 1] === u)) {
        // The usual case, one state and a character with one reading: one Aho-Corasick step.
        runStart[runs++] = pos;
        const t = next(stateCount === 0 ? 0 : stateSet[0]!, single);
        stateSet[0] = t;
        stateCount = t === 0 ? 0 : 1;
        pos++;
        if (t > 0 && (states[t + 2]! & 1) !== 0) outputs(runs - 1, pos, lastLong, 1);
        continue;
      }
      let cp = u;
      let size = 1;
      let codes: Int32Array = unitCodes;
      let from = 0;
      let count = 0;
      if (u >= 0x2e80) {
        if (u < 0xd800 || u > 0xdfff) {
          count = unitCodesCount[u]!;
          from = unitCodesStart[u]!;
        } else {
          cp = codePointAt(pos);
          if (cp > 0xffff) {
            size = 2;
            const astral = astralCodes.get(foldCp(cp));
            if (astral) {
              codes = astral;
              count = astral.length;
            }
          }
        }
      }
      if (count === 0) {
        if (isLatinUnit(cp)) latinSeen = true;
        if (!(folds.separators && isSeparator(cp))) {
          stateCount = 0;
          segment = runs;
        }
        pos += size;
        continue;
      }
      // The run: this character and, with repeats, the same character right after it.
      let end = pos + size;
      let m = 1;
      if (repeats) {
        if (size === 1) {
          while (end < length && units[end] === u) {
            end++;
            m++;
          }
        } else {
          const low = units[pos + 1]!;
          while (end + 1 < length && units[end] === u && units[end + 1] === low) {
            end += 2;
            m++;
          }
        }
      }
      const b = runs++;
      runStart[b] = pos;
      const to = from + count;
      let n = step(stateSet, stateCount, codes, from, to);
      if (m === 1) {
        const swapped = stateSet;
        stateSet = stepSet;
        stepSet = swapped;
        stateCount = n;
      } else {
        lastLong = b;
        let total = 0;
        for (let i = 0; i < n; i++) total = addUnique(runSet, total, stepSet[i]!);
        // Each further character of the run may stand for one more syllable (a sequence is at most
        // as long as the longest term; a step from the root reaches no state the first did not).
        for (let k = 2; k <= m && k <= longestTerm && n > 0; k++) {
          lastSet.set(stepSet.subarray(0, n));
          n = step(lastSet, n, codes, from, to);
          for (let i = 0; i < n; i++) total = addUnique(runSet, total, stepSet[i]!);
        }
        const swapped = stateSet;
        stateSet = runSet;
        runSet = swapped;
        stateCount = total;
      }
      outputs(b, end, lastLong, stateCount);
      pos = end;
    }
  };

  const scan = (
    buffer: NormalizedBuffer,
    onMatch: (start: number, end: number, entry: number, tags: number) => void,
  ): void => {
    units = buffer.units;
    length = buffer.length;
    report = onMatch;
    foundCount = 0;
    latinSeen = false;
    if (anyHomophones && !walkAll) readRuns();
    // Where the automaton read the text, it saw whether there are Latin letters to walk from.
    if (walkAll || (anyPinyin && (latinSeen || !anyHomophones))) walkPaths();
    flush();
  };

  let bytes = trie.byteSize + symbolIndex.byteLength + syllables.length * 64;
  for (const list of symbolLists) bytes += list.byteLength + 16;
  bytes += charStart.byteLength + entryChars.byteLength * 2 + syllableStart.byteLength + patternSyllableIds.byteLength;
  // The automaton's run over texts: its states, the bit sets of its first levels, the tables by
  // code unit, and the sets of states (allocated at their bound).
  bytes += states.byteLength + hasChildren.byteLength + firstCodes.byteLength + pairCodes.byteLength;
  bytes += tripleCodes.byteLength + unitCodesStart.byteLength + unitCodesCount.byteLength + unitCode.byteLength;
  bytes += unitCodes.byteLength + 4 * setSize * 4;
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
