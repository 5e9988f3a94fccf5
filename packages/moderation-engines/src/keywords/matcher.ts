import { createHash } from "node:crypto";
import { OTHER_CATEGORY } from "../categories.ts";
import type { Finding } from "../engine.ts";
import { Automaton } from "./automaton.ts";
import { sortWithoutRepeats } from "../text/order.ts";
import { chineseFoldTable } from "./chinese-fold.ts";
import { isSeparator, isSpacedWordChar, NormalizedBuffer, normalizeForMatching, normalizeInto } from "./normalize.ts";
import { FOLD_NAMES, type ListFold, type MatchMode } from "./parse.ts";
import { chineseReadingsLoaded, readingsOf } from "./readings.ts";
import {
  createSoundPass,
  type SoundPass,
  type SoundTerm,
  TAG_CHINESE,
  TAG_HOMOPHONES,
  TAG_INITIALS,
  TAG_LOOKALIKES,
  TAG_NUMERALS,
  TAG_PINYIN,
  TAG_REPEATS,
} from "./sound.ts";
import {
  chineseDigit,
  contractRepeatsInto,
  contractTermRepeats,
  foldTextInto,
  hasRepeats,
  isHan,
  lookalikeTable,
  MARK_NUMERAL,
  MARK_RECOMPOSED,
  pairTable,
  recomposeInto,
  textFoldTable,
} from "./zh-folds.ts";

/** A keyword finding: span of the original text, the term as written, its list and the list's category. */
export interface KeywordFinding extends Finding {
  /** Name of the list the term came from. */
  list: string;
  /** The list's category (`other` for a list without one). */
  category: string;
  /**
   * The list folds the match needed, `+`-joined in the order of `FOLD_NAMES` (`pinyin`,
   * `chinese+repeats`); absent when the text holds the term as written (after normalisation).
   */
  fold?: string;
}

/** A list of terms to block, as given to {@link createKeywordMatcher}. */
export interface KeywordListInput {
  name: string;
  terms: readonly string[];
  /** Overrides the matcher's `match` option for this list. */
  match?: MatchMode;
  /** The list's folds (`# fold:` directives): see docs/keywords.md. None by default. */
  folds?: readonly ListFold[];
  /** The category of its findings (docs/categories.md); default `other`. */
  category?: string;
}

export interface KeywordMatcherOptions {
  /** Lists of terms to flag. */
  lists: readonly KeywordListInput[];
  /** Terms that are never flagged: a match lying entirely inside an allow-term match is dropped. */
  allow?: readonly string[];
  /** Allow terms by list (a file each), counted per list in `stats.allowLists`; they add to `allow`. */
  allowLists?: readonly { name: string; terms: readonly string[] }[];
  /** Default match mode of lists without a directive. Default `"word"`. */
  match?: MatchMode;
  /** Also catch terms written with separators between letters (`f.u.c.k`). Default `false`. */
  separators?: boolean;
}

export interface KeywordListStats {
  name: string;
  /** Terms used (after skipping those that normalise to nothing). */
  terms: number;
  /** Terms skipped because they normalise to nothing. */
  skipped: number;
  match: MatchMode;
  /** The list's folds, when it has any. */
  folds?: ListFold[];
  /** The category of its findings. */
  category: string;
}

export interface KeywordMatcherStats {
  /** Block terms used, over all lists (duplicates counted). */
  terms: number;
  /** Allow terms used. */
  allowTerms: number;
  /** Allow terms used per list given as `allowLists`. */
  allowLists: { name: string; terms: number }[];
  /** Terms skipped because they normalise to nothing. */
  skipped: number;
  /** Distinct normalised patterns in the automaton. */
  patterns: number;
  /** Trie nodes in the automaton. */
  nodes: number;
  /** Approximate bytes held by the automaton's arrays. */
  bytes: number;
  /** Build time in milliseconds. */
  buildMs: number;
  lists: KeywordListStats[];
  /**
   * With `initials`, `pinyin` or `homophones` lists: initials patterns added, terms the sound
   * folds apply to, their syllable sequences, and terms whose readings made more sequences than
   * the cap (the first ones are kept).
   */
  variants?: { initials: number; soundTerms: number; soundPatterns: number; capped: number };
}

/** An immutable keyword matcher. */
export interface KeywordMatcher {
  /**
   * Finds every blocked term in `text`. Spans are UTF-16 offsets of the ORIGINAL text covering
   * exactly the original characters of the match (invisible characters inside included).
   * Overlapping matches of different terms are all kept; the same span, label and category is
   * reported once. Sorted by start ascending, then end descending (enclosing match first), then
   * label, then category.
   */
  find(text: string): KeywordFinding[];
  readonly stats: Readonly<KeywordMatcherStats>;
  readonly options: Readonly<{ match: MatchMode; separators: boolean }>;
  /**
   * How far a finding can depend on the text, in normalised UTF-16 code units: the longest block
   * pattern and the longest allow pattern. `null` when it is unbounded: with `separators`, a match
   * may span any run of separators. Used to judge streamed texts incrementally (`extendFindings`).
   */
  readonly reach: Readonly<{ pattern: number; allow: number }> | null;
  /**
   * Names what the matcher finds: a hash of its lists, allow terms and options, and of the version
   * of the matching rules ({@link MATCHING_VERSION}). Two matchers with the same fingerprint find
   * the same spans in every text, so a judgement one made can be extended by the other (replicas
   * sharing streamed-answer judgements, SHARED_STATE_URL).
   */
  readonly fingerprint: string;
}

/**
 * The version of the matching rules (normalisation, word edges, allow-term handling, folds). Bump
 * it with any change that can change what a list finds in a text: judgements saved by replicas
 * that run the old rules are then refused, not extended.
 */
export const MATCHING_VERSION = 1;

const F_WORD_START = 1;
const F_WORD_END = 2;
const F_PASS_PLAIN = 4;
const F_PASS_COLLAPSED = 8;
const F_ALLOW = 16;
/** Collapsed-pass entry of a term that contains separators: they must be found around its letters. */
const F_OWN_SEPARATORS = 32;

/**
 * The code point at `i` of `units[0..length)`. The buffers are reused between texts, so the unit
 * at `length` is left over from an earlier, longer text: never pair a high surrogate with it.
 */
function codePointAtUnits(units: Uint16Array, i: number, length: number): number {
  const c = units[i]!;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
    const d = units[i + 1]!;
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}

function codePointBefore(units: Uint16Array, end: number): number {
  const c = units[end - 1]!;
  if (c >= 0xdc00 && c <= 0xdfff && end >= 2) {
    const h = units[end - 2]!;
    if (h >= 0xd800 && h <= 0xdbff) return ((h - 0xd800) << 10) + (c - 0xdc00) + 0x10000;
  }
  return c;
}

function isSpacedWordUnit(c: number, cp: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a);
  return isSpacedWordChar(cp);
}

function edgeFlags(pattern: string): number {
  let flags = 0;
  if (isSpacedWordChar(pattern.codePointAt(0)!)) flags |= F_WORD_START;
  if (isSpacedWordChar(codePointBefore(stringUnits(pattern), pattern.length))) flags |= F_WORD_END;
  return flags;
}

function stringUnits(s: string): Uint16Array {
  const u = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

function removeSeparators(s: string): string {
  let out = "";
  for (const ch of s) {
    if (!isSeparator(ch.codePointAt(0)!)) out += ch;
  }
  return out;
}

interface PendingEntry {
  pattern: string;
  flags: number;
  label: string;
  list: number;
  /** With {@link F_OWN_SEPARATORS}: the normalised term, separators included. */
  term?: string;
  /** The fold that made this pattern (`TAG_INITIALS`), 0 for the term itself. */
  tag: number;
  /** With `repeats`: how often each unit of the pattern must stand in the text (terms such as 妈妈). */
  runs?: Uint16Array;
  /** The normalised term (before the list's folds), to tell which folds a finding needed. */
  normalized: string;
}

/**
/**
 * Builds an immutable matcher from block lists, allow terms and options. Terms are normalised
 * exactly as texts are (NFKC, case folding, invisible characters removed); terms that normalise to
 * nothing are skipped and counted in `stats.skipped`. A list with `pinyin`, `initials` or
 * `homophones` needs the pinyin readings loaded first (`await loadChineseReadings()`).
 */
export function createKeywordMatcher(options: KeywordMatcherOptions): KeywordMatcher {
  const built =
    Array.isArray(options?.lists) && options.lists.some((list) => (list?.folds?.length ?? 0) > 0)
      ? createFoldingMatcher(options)
      : buildMatcher(options);
  return Object.freeze({ ...built, fingerprint: fingerprintOf(options) });
}

/** The {@link KeywordMatcher.fingerprint} of a matcher built from `options` (already checked by the build). */
function fingerprintOf(options: KeywordMatcherOptions): string {
  const hash = createHash("sha256");
  // Every string after its length: no two different inputs hash alike.
  const add = (value: string) => hash.update(`${value.length}:`, "utf8").update(value, "utf16le");
  add(`keywords ${MATCHING_VERSION} ${options.match ?? "word"} ${options.separators ?? false}`);
  for (const list of options.lists) {
    add(
      `list ${list.match ?? ""} ${(list.folds ?? []).join(",")} ${list.category ?? OTHER_CATEGORY} ${list.terms.length}`,
    );
    add(list.name);
    for (const term of list.terms) add(term);
  }
  add(`allow ${options.allow?.length ?? 0}`);
  for (const term of options.allow ?? []) add(term);
  for (const list of options.allowLists ?? []) {
    add(`allow list ${list.terms.length}`);
    add(list.name);
    for (const term of list.terms) add(term);
  }
  return hash.digest("base64url").slice(0, 22);
}

/** The folds that change the text a group of lists is matched against (the others add patterns). */
interface TextFolds {
  chinese: boolean;
  numerals: boolean;
  lookalikes: boolean;
  repeats: boolean;
}

const NO_TEXT_FOLDS: TextFolds = { chinese: false, numerals: false, lookalikes: false, repeats: false };

function textFoldsOf(folds: readonly ListFold[] | undefined): TextFolds {
  const has = (fold: ListFold) => folds?.includes(fold) ?? false;
  return { chinese: has("chinese"), numerals: has("numerals"), lookalikes: has("lookalikes"), repeats: has("repeats") };
}

/** Fold tag bits → fold names, in the order of {@link FOLD_NAMES}. */
const TAG_OF: Readonly<Record<ListFold, number>> = {
  chinese: TAG_CHINESE,
  numerals: TAG_NUMERALS,
  lookalikes: TAG_LOOKALIKES,
  repeats: TAG_REPEATS,
  initials: TAG_INITIALS,
  pinyin: TAG_PINYIN,
  homophones: TAG_HOMOPHONES,
};

/** Fold names by tag bits, built on first use (a finding's names, without a new string each time). */
const foldNames: string[] = [];

function foldNamesOf(tags: number): string | undefined {
  if (tags === 0) return undefined;
  let names = foldNames[tags];
  if (names === undefined) {
    names = FOLD_NAMES.filter((name) => (tags & TAG_OF[name]) !== 0).join("+");
    foldNames[tags] = names;
  }
  return names;
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

/** Most initials patterns one term is expanded into (its polyphonic characters' first letters). */
export const MAX_INITIALS_VARIANTS = 64;

/**
 * The initials of a term of two or more Han characters that all have a reading: every combination
 * of the first letters of its characters' readings (`法轮功` → `flg`; `长城` → `cc`, `zc`), capped.
 */
function initialsOf(normalized: string): string[] {
  let out = [""];
  let count = 0;
  for (const ch of normalized) {
    const cp = ch.codePointAt(0)!;
    if (!isHan(cp)) return [];
    const readings = readingsOf(cp);
    if (readings.length === 0) return [];
    count++;
    const first = readings[0]![0] === "ü" ? "v" : readings[0]![0]!;
    // The common case, one first letter: extend every prefix.
    let single = true;
    for (const r of readings) if (r[0] !== readings[0]![0]) single = false;
    if (single) {
      for (let k = 0; k < out.length; k++) out[k] += first;
      continue;
    }
    const letters: string[] = [];
    for (const reading of readings) {
      const letter = reading[0] === "ü" ? "v" : reading[0]!;
      if (!letters.includes(letter)) letters.push(letter);
    }
    const next: string[] = [];
    for (const prefix of out)
      for (const letter of letters) if (next.length < MAX_INITIALS_VARIANTS) next.push(prefix + letter);
    out = next;
  }
  return count >= 2 ? out : [];
}

function buildMatcher(
  options: KeywordMatcherOptions,
  textFolds: TextFolds = NO_TEXT_FOLDS,
): Omit<KeywordMatcher, "fingerprint"> {
  const started = performance.now();
  const defaultMode: MatchMode = options.match ?? "word";
  if (defaultMode !== "word" && defaultMode !== "substring") {
    throw new TypeError(`match must be "word" or "substring", got ${JSON.stringify(options.match)}`);
  }
  const separators = options.separators ?? false;
  const { chinese, numerals, lookalikes, repeats } = textFolds;
  const anyTextFold = chinese || numerals || lookalikes || repeats;
  const listNames: string[] = [];
  const listCategories: string[] = [];
  const listStats: KeywordListStats[] = [];
  const pending: PendingEntry[] = [];
  const soundTerms: SoundTerm[] = [];
  let initialsPatterns = 0;
  /** Initials (without separators) → the terms of each list they stand for (the first term wins). */
  const initialsWords = new Map<string, Array<{ label: string; list: number }>>();
  let skipped = 0;
  let blockTerms = 0;
  let allowTerms = 0;

  // The in-place folds, composed into one table, and the component splits folded the same way.
  const foldTable = chinese || lookalikes || numerals ? textFoldTable(chinese, lookalikes, numerals) : undefined;
  const splits = lookalikes && foldTable ? pairTable(foldTable) : undefined;

  /** A normalised term as this group reads texts: in-place folds, then repeats written once. */
  const termKey = (normalized: string): { key: string; runs?: Uint16Array } => {
    let key = normalized;
    if (foldTable) {
      key = "";
      for (const ch of normalized) key += String.fromCodePoint(foldTable.fold(ch.codePointAt(0)!));
    }
    return repeats ? contractTermRepeats(key) : { key };
  };

  const add = (term: string, mode: MatchMode | "allow", list: number, folds?: readonly ListFold[]): boolean => {
    const plain = normalizeForMatching(term);
    if (plain === "") return false;
    const { key: normalized, runs } = termKey(plain);
    const kind = mode === "allow" ? F_ALLOW : mode === "word" ? 0 : -1;
    const flagsFor = (p: string) => (kind === F_ALLOW ? F_ALLOW : kind === 0 ? edgeFlags(p) : 0);
    const entry = (pattern: string, flags: number, extra: Partial<PendingEntry> = {}) =>
      pending.push({ pattern, flags, label: term, list, tag: 0, normalized: plain, ...(runs && { runs }), ...extra });
    if (!separators) {
      entry(normalized, flagsFor(normalized) | F_PASS_PLAIN);
    } else {
      const collapsed = removeSeparators(normalized);
      if (collapsed === normalized) {
        entry(normalized, flagsFor(normalized) | F_PASS_PLAIN | F_PASS_COLLAPSED);
      } else {
        entry(normalized, flagsFor(normalized) | F_PASS_PLAIN);
        // The collapsed pass finds the term's letters; the term's own separators are then required
        // around and between them (see ownSeparatorsSpan), so `$hit` never matches `hit`. Word
        // boundaries apply to the term as written: `$hit` starts with a symbol, so it needs none there.
        if (collapsed !== "") {
          entry(collapsed, flagsFor(normalized) | F_PASS_COLLAPSED | F_OWN_SEPARATORS, { term: normalized });
        }
      }
    }
    if (mode !== "allow" && folds) {
      if (folds.includes("initials")) {
        // Initials are whole Latin words: without separators, a table of words (a text's Latin
        // words are looked up in it, and the automaton stays the list's own); with separators,
        // patterns of the automaton, for the pass that reads `f.l.g`.
        for (const initials of initialsOf(plain)) {
          initialsPatterns++;
          if (!separators) {
            let entries = initialsWords.get(initials);
            if (!entries) {
              entries = [];
              initialsWords.set(initials, entries);
            }
            if (!entries.some((e) => e.list === list)) entries.push({ label: term, list });
            continue;
          }
          const passes = F_PASS_PLAIN | F_PASS_COLLAPSED;
          pending.push({
            pattern: initials,
            flags: edgeFlags(initials) | passes,
            label: term,
            list,
            tag: TAG_INITIALS,
            normalized: plain,
          });
        }
      }
      const pinyin = folds.includes("pinyin");
      const homophones = folds.includes("homophones");
      if (pinyin || homophones) soundTerms.push({ label: term, normalized: plain, list, pinyin, homophones });
    }
    return true;
  };

  for (const list of options.lists) {
    const mode = list.match ?? defaultMode;
    if (mode !== "word" && mode !== "substring") {
      throw new TypeError(`list "${list.name}": match must be "word" or "substring", got ${JSON.stringify(mode)}`);
    }
    const index = listNames.length;
    listNames.push(list.name);
    const category = list.category ?? OTHER_CATEGORY;
    listCategories.push(category);
    let used = 0;
    let listSkipped = 0;
    for (const term of list.terms) {
      if (add(term.trim(), mode, index, list.folds)) used++;
      else listSkipped++;
    }
    blockTerms += used;
    skipped += listSkipped;
    listStats.push({
      name: list.name,
      terms: used,
      skipped: listSkipped,
      match: mode,
      ...(list.folds && list.folds.length > 0 ? { folds: [...list.folds] } : {}),
      category,
    });
  }
  const allowList = listNames.length;
  listNames.push("allow");
  listCategories.push(OTHER_CATEGORY);
  for (const term of options.allow ?? []) {
    if (add(term.trim(), "allow", allowList)) allowTerms++;
    else skipped++;
  }
  const allowListStats: { name: string; terms: number }[] = [];
  for (const list of options.allowLists ?? []) {
    let used = 0;
    for (const term of list.terms) {
      if (add(term.trim(), "allow", allowList)) used++;
      else skipped++;
    }
    allowTerms += used;
    allowListStats.push({ name: list.name, terms: used });
  }

  let longestPattern = 0;
  let longestAllow = 0;
  for (const entry of pending) {
    if ((entry.flags & F_ALLOW) !== 0) longestAllow = Math.max(longestAllow, entry.pattern.length);
    else longestPattern = Math.max(longestPattern, entry.pattern.length);
  }
  const patternIds = new Int32Array(pending.length);
  const automaton = new Automaton(
    pending.map((p) => p.pattern),
    patternIds,
  );

  // Entries grouped by pattern id (CSR), dropping exact duplicates (same pattern, flags, list,
  // fold and own-separators term).
  const patternCount = automaton.patternCount;
  const patternLength = new Int32Array(patternCount);
  const groupStart = new Int32Array(patternCount + 1);
  for (let i = 0; i < pending.length; i++) {
    groupStart[patternIds[i]! + 1]!++;
    patternLength[patternIds[i]!] = pending[i]!.pattern.length;
  }
  for (let p = 0; p < patternCount; p++) groupStart[p + 1]! += groupStart[p]!;
  const slot = groupStart.slice(0, patternCount);
  const entryFlags = new Uint8Array(pending.length);
  const entryTag = new Uint8Array(pending.length);
  const entryList = new Int32Array(pending.length);
  const entryLabel: string[] = new Array(pending.length);
  const entryNormalized: string[] = new Array(pending.length);
  const entryTerm: Array<Uint16Array | undefined> = new Array(pending.length);
  const entryTermText: Array<string | undefined> = new Array(pending.length);
  const entryRuns: Array<Uint16Array | undefined> = new Array(pending.length);
  for (let i = 0; i < pending.length; i++) {
    const p = patternIds[i]!;
    const entry = pending[i]!;
    let duplicate = false;
    for (let e = groupStart[p]!; e < slot[p]!; e++) {
      if (
        entryFlags[e] === entry.flags &&
        entryList[e] === entry.list &&
        entryTermText[e] === entry.term &&
        entryTag[e] === entry.tag &&
        entryRuns[e]?.join() === entry.runs?.join()
      ) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    const e = slot[p]!++;
    entryFlags[e] = entry.flags;
    entryTag[e] = entry.tag;
    entryList[e] = entry.list;
    entryLabel[e] = entry.label;
    entryNormalized[e] = entry.normalized;
    if (entry.runs) entryRuns[e] = entry.runs;
    if (entry.term !== undefined) {
      entryTerm[e] = stringUnits(entry.term);
      entryTermText[e] = entry.term;
    }
  }
  const groupEnd = slot;
  pending.length = 0;
  const mainEntries = entryFlags.length;

  const sound: SoundPass | undefined =
    soundTerms.length > 0 ? createSoundPass(soundTerms, { chinese, lookalikes, repeats, separators }) : undefined;
  let longestInitials = 0;
  for (const word of initialsWords.keys()) longestInitials = Math.max(longestInitials, word.length);
  const initialsBase = mainEntries + (sound?.entries.length ?? 0);

  // Text kept on either side of a recomposed character: any match that covers it, with the
  // characters its whole-word checks look at. With separators a match may span any run of them:
  // the whole text is kept.
  const recomposeContext = separators ? 1 << 30 : Math.max(longestPattern, longestAllow) + 2;

  // Per-call scratch state, reused: find() is synchronous, so calls never interleave.
  const normalized = new NormalizedBuffer();
  const recomposed = new NormalizedBuffer();
  const contracted = new NormalizedBuffer();
  const runs = { value: new Uint16Array(256) };
  /** Unit marks (`MARK_NUMERAL`, `MARK_RECOMPOSED`) of the text, of its recomposed parts, of a contracted buffer. */
  let textMarks = new Uint8Array(256);
  const recomposedMarks = { value: new Uint8Array(256) };
  const contractedMarks = { value: new Uint8Array(256) };
  /** The buffer being scanned, its runs (with `repeats`) and its unit marks (with `numerals` or `lookalikes`). */
  let cur = normalized;
  let curRuns: Uint16Array | undefined;
  let curMarks: Uint8Array | undefined;
  let passTag = 0;
  let collapsedUnits = new Uint16Array(256);
  let collapsedMap = new Int32Array(256);
  let collapsedLength = 0;
  let candStart = new Int32Array(64);
  let candEnd = new Int32Array(64);
  let candEntry = new Int32Array(64);
  let candTag = new Int32Array(64);
  let candCount = 0;
  let allowStart = new Int32Array(16);
  let allowEnd = new Int32Array(16);
  let allowCount = 0;
  /** Sound matches by start and entry: a longer one (a run of repeats) replaces a shorter one. */
  const soundSeen = new Map<number, number>();

  const pushCandidate = (start: number, end: number, entry: number, tag: number) => {
    if (candCount === candStart.length) {
      candStart = grow(candStart);
      candEnd = grow(candEnd);
      candEntry = grow(candEntry);
      candTag = grow(candTag);
    }
    candStart[candCount] = start;
    candEnd[candCount] = end;
    candEntry[candCount] = entry;
    candTag[candCount] = tag;
    candCount++;
  };
  const pushAllow = (start: number, end: number) => {
    if (allowCount === allowStart.length) {
      allowStart = grow(allowStart);
      allowEnd = grow(allowEnd);
    }
    allowStart[allowCount] = start;
    allowEnd[allowCount] = end;
    allowCount++;
  };

  /**
   * Whether the word characters at units `inside` (in the match) and `outside` join into one word.
   * With `numerals`, a Chinese numeral is a digit among digits (one number), but a Chinese
   * character next to letters, which it does not join.
   */
  const joins = (inside: number, outside: number): boolean => {
    if (!curMarks || ((curMarks[inside]! | curMarks[outside]!) & MARK_NUMERAL) === 0) return true;
    const a = cur.units[inside]!;
    const b = cur.units[outside]!;
    return a >= 0x30 && a <= 0x39 && b >= 0x30 && b <= 0x39;
  };
  // Whole-word checks look at the scanned (uncollapsed) text around [start, end).
  const boundaryOk = (flags: number, start: number, end: number): boolean => {
    const units = cur.units;
    if ((flags & F_WORD_START) !== 0 && start > 0) {
      const c = units[start - 1]!;
      if (isSpacedWordUnit(c, c < 0x80 ? c : codePointBefore(units, start)) && joins(start, start - 1)) return false;
    }
    if ((flags & F_WORD_END) !== 0 && end < cur.length) {
      const c = units[end]!;
      if (isSpacedWordUnit(c, c < 0x80 ? c : codePointAtUnits(units, end, cur.length)) && joins(end - 1, end)) {
        return false;
      }
    }
    return true;
  };

  /**
   * With `repeats`: a term's own runs (妈妈, written 妈 twice) must stand in the text at least as
   * often. Walks the scanned units of the match, skipping separators (the collapsed pass).
   */
  const runsOk = (need: Uint16Array, start: number, end: number): boolean => {
    let k = 0;
    for (let i = start; i < end && k < need.length; i++) {
      const c = cur.units[i]!;
      if ((c < 0xd800 || c > 0xdfff) && isSeparator(c)) continue;
      if ((curRuns ? curRuns[i]! : 1) < need[k]!) return false;
      k++;
    }
    return true;
  };

  // Set by ownSeparatorsSpan: the normalised span of a term with its own separators.
  let ownStart = 0;
  let ownEnd = 0;
  /**
   * The collapsed pass found the letters of `term` (normalised, as code units) at normalised
   * [start, end), with only separators between them. Checks that the term's own separators are
   * there too, in order, each in the run of separators where the term has it (before its first
   * letter, between two letters, after its last); any other separators may be inserted. Sets
   * [ownStart, ownEnd) to the span from the term's first to its last character. Taking for each
   * separator of the term the nearest equal one is enough: a subsequence is found greedily.
   */
  const ownSeparatorsSpan = (term: Uint16Array, start: number, end: number): boolean => {
    const units = cur.units;
    const n = cur.length;
    const termLength = term.length;
    let first = 0;
    for (let tc = 0; first < termLength; first += tc > 0xffff ? 2 : 1) {
      tc = codePointAtUnits(term, first, termLength);
      if (!isSeparator(tc)) break;
    }
    // Separators that lead the term, backwards from its first letter.
    let t = first;
    let p = start;
    ownStart = start;
    while (t > 0) {
      if (p === 0) return false;
      const cp = codePointBefore(units, p);
      if (!isSeparator(cp)) return false;
      p -= cp > 0xffff ? 2 : 1;
      const tc = codePointBefore(term, t);
      if (cp === tc) {
        t -= tc > 0xffff ? 2 : 1;
        ownStart = p;
      }
    }
    // Letters, and the separators between them.
    t = first;
    for (p = start; p < end; ) {
      const cp = codePointAtUnits(units, p, n);
      p += cp > 0xffff ? 2 : 1;
      const tc = t < termLength ? codePointAtUnits(term, t, termLength) : -1;
      if (cp === tc) t += tc > 0xffff ? 2 : 1;
      else if (!isSeparator(cp)) return false;
    }
    // Separators that end the term, forwards from its last letter.
    ownEnd = end;
    for (p = end; t < termLength; ) {
      if (p >= n) return false;
      const cp = codePointAtUnits(units, p, n);
      if (!isSeparator(cp)) return false;
      p += cp > 0xffff ? 2 : 1;
      const tc = codePointAtUnits(term, t, termLength);
      if (cp === tc) {
        t += tc > 0xffff ? 2 : 1;
        ownEnd = p;
      }
    }
    return true;
  };

  /** Whether [start, end) of the scanned buffer holds a recomposed character (else the first pass found it). */
  const coversRecomposed = (start: number, end: number): boolean => {
    for (let i = start; i < end; i++) if ((curMarks![i]! & MARK_RECOMPOSED) !== 0) return true;
    return false;
  };
  const reportEntry = (e: number, flags: number, start: number, end: number) => {
    if (passTag !== 0 && !coversRecomposed(start, end)) return;
    const need = entryRuns[e];
    if (need && !runsOk(need, start, end)) return;
    if ((flags & F_ALLOW) !== 0) {
      pushAllow(cur.originalStart(start), cur.originalEnd(end - 1));
    } else if (boundaryOk(flags, start, end)) {
      pushCandidate(cur.originalStart(start), cur.originalEnd(end - 1), e, entryTag[e]! | passTag);
    }
  };
  const report = (pass: number, start: number, end: number, patternId: number) => {
    for (let e = groupStart[patternId]!; e < groupEnd[patternId]!; e++) {
      const flags = entryFlags[e]!;
      if ((flags & pass) === 0) continue;
      if ((flags & F_OWN_SEPARATORS) === 0) reportEntry(e, flags, start, end);
      else if (ownSeparatorsSpan(entryTerm[e]!, start, end)) reportEntry(e, flags, ownStart, ownEnd);
    }
  };
  const onPlainMatch = (patternId: number, end: number) => {
    report(F_PASS_PLAIN, end - patternLength[patternId]!, end, patternId);
  };
  const onCollapsedMatch = (patternId: number, end: number) => {
    const start = collapsedMap[end - patternLength[patternId]!]!;
    report(F_PASS_COLLAPSED, start, collapsedMap[end - 1]! + 1, patternId);
  };
  const onSoundMatch = (start: number, end: number, entry: number, tags: number) => {
    const from = normalized.originalStart(start);
    const to = normalized.originalEnd(end - 1);
    const key = from * (sound!.entries.length + 1) + entry;
    const seen = soundSeen.get(key);
    if (seen !== undefined) {
      if (to > candEnd[seen]!) {
        candEnd[seen] = to;
        candTag[seen] = tags;
      }
      return;
    }
    soundSeen.set(key, candCount);
    pushCandidate(from, to, mainEntries + entry, tags);
  };

  // Initials candidates are entries after the sound pass's: `initialsEntries[k - initialsBase]`.
  const initialsEntries: Array<{ label: string; list: number }> = [];
  for (const entries of initialsWords.values()) initialsEntries.push(...entries);
  const initialsIndex = new Map<string, number>();
  {
    let k = 0;
    for (const [word, entries] of initialsWords) {
      initialsIndex.set(word, k);
      k += entries.length;
    }
  }
  /** Looks every whole Latin word of the text (letters a–z, after normalisation) up in the initials. */
  const findInitials = () => {
    const units = normalized.units;
    const n = normalized.length;
    for (let i = 0; i < n; ) {
      const c = units[i]!;
      if (c < 0x61 || c > 0x7a) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && units[j]! >= 0x61 && units[j]! <= 0x7a) j++;
      const before = i > 0 ? units[i - 1]! : 0x20;
      const after = j < n ? units[j]! : 0x20;
      const word = j - i <= longestInitials ? String.fromCharCode(...units.subarray(i, j)) : "";
      const at = initialsIndex.get(word);
      if (
        at !== undefined &&
        !(i > 0 && isSpacedWordUnit(before, before < 0x80 ? before : codePointBefore(units, i))) &&
        !(j < n && isSpacedWordUnit(after, after < 0x80 ? after : codePointAtUnits(units, j, n)))
      ) {
        const count = initialsWords.get(word)!.length;
        for (let k = 0; k < count; k++) {
          pushCandidate(
            normalized.originalStart(i),
            normalized.originalEnd(j - 1),
            initialsBase + at + k,
            TAG_INITIALS,
          );
        }
      }
      i = j;
    }
  };

  const collapse = (): boolean => {
    const n = cur.length;
    if (collapsedUnits.length < n) {
      collapsedUnits = new Uint16Array(cur.units.length);
      collapsedMap = new Int32Array(cur.units.length);
    }
    const units = cur.units;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const c = units[i]!;
      let separator: boolean;
      if (c < 0x80) {
        separator = !((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a));
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        separator = isSeparator(codePointAtUnits(units, i, n));
        if (!separator) {
          collapsedUnits[m] = c;
          collapsedMap[m++] = i;
          i++;
          collapsedUnits[m] = units[i]!;
          collapsedMap[m++] = i;
          continue;
        }
        i++;
      } else {
        separator = isSeparator(c);
      }
      if (!separator) {
        collapsedUnits[m] = c;
        collapsedMap[m++] = i;
      }
    }
    collapsedLength = m;
    return m < n;
  };

  /** Scans one reading of the text (the text, or its recomposed look-alikes), both passes. */
  const scanBuffer = (buffer: NormalizedBuffer, marks: Uint8Array | undefined, tag: number) => {
    cur = buffer;
    curRuns = undefined;
    curMarks = marks;
    passTag = tag;
    if (repeats && !buffer.identity && hasRepeats(buffer)) {
      contractRepeatsInto(
        buffer,
        contracted,
        runs,
        marks ? { src: marks, out: ensureBytes(contractedMarks, buffer.units.length) } : undefined,
      );
      cur = contracted;
      curRuns = runs.value;
      if (marks) curMarks = contractedMarks.value;
    }
    automaton.scan(cur.units, cur.length, onPlainMatch);
    if (separators && collapse()) {
      automaton.scan(collapsedUnits, collapsedLength, onCollapsedMatch);
    }
  };

  const find = (text: string): KeywordFinding[] => {
    if (typeof text !== "string") throw new TypeError("text must be a string");
    candCount = 0;
    allowCount = 0;
    normalizeInto(text, normalized);
    if (sound) {
      soundSeen.clear();
      sound.scan(normalized, onSoundMatch);
    }
    let hasRecomposed = false;
    let marks: Uint8Array | undefined;
    if (foldTable && !normalized.identity) {
      if (textMarks.length < normalized.units.length) textMarks = new Uint8Array(normalized.units.length);
      foldTextInto(normalized, foldTable, textMarks);
      if (numerals) marks = textMarks;
      if (splits) {
        hasRecomposed = recomposeInto(
          normalized,
          recomposed,
          splits,
          recomposeContext,
          recomposedMarks,
          repeats,
          numerals ? textMarks : undefined,
        );
      }
    }
    scanBuffer(normalized, marks, 0);
    if (hasRecomposed) scanBuffer(recomposed, recomposedMarks.value, TAG_LOOKALIKES);
    if (initialsWords.size > 0) findInitials();
    if (candCount === 0) return [];
    const findings: KeywordFinding[] = [];
    const tags: number[] = [];
    for (let k = 0; k < candCount; k++) {
      const start = candStart[k]!;
      const end = candEnd[k]!;
      let allowed = false;
      for (let a = 0; a < allowCount; a++) {
        if (allowStart[a]! <= start && end <= allowEnd[a]!) {
          allowed = true;
          break;
        }
      }
      if (allowed) continue;
      const e = candEntry[k]!;
      let tag = candTag[k]!;
      let label: string;
      let list: number;
      if (e >= initialsBase) {
        const entry = initialsEntries[e - initialsBase]!;
        label = entry.label;
        list = entry.list;
      } else if (e >= mainEntries) {
        const term = sound!.entries[e - mainEntries]!;
        label = term.label;
        list = term.list;
      } else {
        label = entryLabel[e]!;
        list = entryList[e]!;
        // The usual case, the term as written, needs no look at the folds.
        if (
          anyTextFold &&
          (tag & TAG_INITIALS) === 0 &&
          !(end - start === label.length && text.startsWith(label, start))
        ) {
          tag |= textFoldTags(text.slice(start, end), entryNormalized[e]!);
        }
      }
      const fold = foldNamesOf(tag);
      findings.push({
        start,
        end,
        label,
        list: listNames[list]!,
        category: listCategories[list]!,
        ...(fold === undefined ? {} : { fold }),
      });
      tags.push(popcount(tag));
    }
    // Same span, label and category once: the one that needed the fewest folds.
    const order = findings.map((_, i) => i);
    order.sort((x, y) => compareFindings(findings[x]!, findings[y]!) || tags[x]! - tags[y]! || x - y);
    const out: KeywordFinding[] = [];
    for (const i of order) {
      const f = findings[i]!;
      const prev = out.length > 0 ? out[out.length - 1]! : undefined;
      if (prev && sameFinding(prev, f)) continue;
      out.push(f);
    }
    return out;
  };

  /**
   * Which of the group's text folds a finding of the term itself needed: the original characters
   * it covers are normalised again and compared with the term, character by character.
   */
  const textFoldTags = (original: string, term: string): number => {
    const segment = normalizeForMatching(original);
    if (segment === term) return 0;
    const a = Array.from(segment, (ch) => ch.codePointAt(0)!);
    const b = Array.from(term, (ch) => ch.codePointAt(0)!);
    const chineseOf = (cp: number) => {
      const t = chineseFoldTable();
      const k = cp < 0x10000 ? t.bmp[cp]! : (t.astral.get(cp) ?? 0);
      return k === 0 ? cp : k;
    };
    const radicalOf = (cp: number) =>
      cp < 0x10000 && lookalikeTable().radical[cp]! !== 0 ? lookalikeTable().radical[cp]! : cp;
    let tags = 0;
    let i = 0;
    let j = 0;
    let previous = -1;
    while (i < a.length) {
      const x = a[i]!;
      const y = j < b.length ? b[j]! : -1;
      if (x === y) {
        previous = x;
        i++;
        j++;
        continue;
      }
      if (y !== -1) {
        let fx = x;
        let fy = y;
        let t = 0;
        if (lookalikes && (radicalOf(fx) !== fx || radicalOf(fy) !== fy)) {
          fx = radicalOf(fx);
          fy = radicalOf(fy);
          t |= TAG_LOOKALIKES;
        }
        if (chinese && fx !== fy && chineseOf(fx) === chineseOf(fy)) {
          fx = chineseOf(fx);
          fy = chineseOf(fy);
          t |= TAG_CHINESE;
        }
        if (numerals && fx !== fy && fx < 0x10000 && fy < 0x10000) {
          const dx = chineseDigit(fx) || fx;
          const dy = chineseDigit(fy) || fy;
          if (dx === dy) {
            fx = dx;
            fy = dy;
            t |= TAG_NUMERALS;
          }
        }
        if (fx === fy) {
          tags |= t;
          previous = x;
          i++;
          j++;
          continue;
        }
      }
      if (repeats && x === previous && isHan(x)) {
        tags |= TAG_REPEATS;
        i++;
        continue;
      }
      if (separators && isSeparator(x)) {
        previous = -1;
        i++;
        continue;
      }
      break;
    }
    return tags;
  };

  let bytes = automaton.byteSize + (sound?.bytes ?? 0);
  if (chinese) bytes += chineseFoldTable().bytes;
  if (foldTable) bytes += foldTable.bytes;
  if (splits) bytes += splits.bytes + lookalikeTable().bytes;
  const stats: KeywordMatcherStats = {
    terms: blockTerms,
    allowTerms,
    allowLists: allowListStats,
    skipped,
    patterns: patternCount + (sound?.patterns ?? 0),
    nodes: automaton.nodeCount + (sound?.nodes ?? 0),
    bytes,
    buildMs: 0,
    lists: listStats,
    ...(initialsPatterns > 0 || sound
      ? {
          variants: {
            initials: initialsPatterns,
            soundTerms: sound?.terms ?? 0,
            soundPatterns: sound?.patterns ?? 0,
            capped: sound?.capped ?? 0,
          },
        }
      : {}),
  };
  stats.buildMs = Math.round((performance.now() - started) * 10) / 10;
  // A group with folds is judged whole on streamed answers: incremental judging (`extendFindings`)
  // is proven for plain matching only (runs of repeats and separators around pinyin are unbounded).
  const reach =
    separators || anyTextFold || sound || initialsPatterns > 0
      ? null
      : Object.freeze({ pattern: longestPattern, allow: longestAllow });
  return Object.freeze({
    find,
    stats: Object.freeze(stats),
    options: Object.freeze({ match: defaultMode, separators }),
    reach,
  });
}

function ensureBytes(holder: { value: Uint8Array }, length: number): Uint8Array {
  if (holder.value.length < length) holder.value = new Uint8Array(Math.max(length, holder.value.length * 2));
  return holder.value;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The matcher's order: by start, the enclosing match first, then by term and category. */
function compareFindings(a: KeywordFinding, b: KeywordFinding): number {
  return a.start - b.start || b.end - a.end || byText(a.label, b.label) || byText(a.category, b.category);
}

/** One span, term and category is reported once (two lists of one category may hold the same term). */
function sameFinding(a: KeywordFinding, b: KeywordFinding): boolean {
  return a.start === b.start && a.end === b.end && a.label === b.label && a.category === b.category;
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** True when a normalised term holds a character that the text folds `folds` may change or produce. */
function touchedBy(folds: TextFolds, normalized: string): boolean {
  const table = folds.chinese ? chineseFoldTable() : undefined;
  for (const ch of normalized) {
    const cp = ch.codePointAt(0)!;
    if (table && (cp < 0x10000 ? table.bmp[cp] !== 0 : table.astral.has(cp))) return true;
    // Numerals produce ASCII digits; look-alikes and repeats change how Han characters match.
    if (folds.numerals && ((cp >= 0x30 && cp <= 0x39) || (cp < 0x10000 && chineseDigit(cp) !== 0))) return true;
    if ((folds.lookalikes || folds.repeats) && cp >= 0x2e80 && isHan(cp)) return true;
  }
  return false;
}

/**
 * A matcher over lists some of which have folds. Lists are grouped by the folds that change the
 * text (`chinese`, `numerals`, `lookalikes`, `repeats`): each group gets a matcher whose terms and
 * texts are folded that way (allow terms too), with the patterns of its lists' `initials` and the
 * sound pass of their `pinyin` and `homophones`. Spans map to the original text exactly.
 *
 * Lists without folds must find exactly what they found before. When neither they nor the allow
 * terms hold a character a group's folds can change (English lists beside a Chinese one, the usual
 * case), they join that group: one pass over the text. Else they get a matcher of their own, built
 * and run exactly as when no list has a fold, and `find` runs every matcher and merges findings.
 */
function createFoldingMatcher(options: KeywordMatcherOptions): Omit<KeywordMatcher, "fingerprint"> {
  const started = performance.now();
  const needsReadings = new Set<ListFold>(["pinyin", "initials", "homophones"]);
  for (const list of options.lists) {
    for (const fold of list.folds ?? []) {
      if (!FOLD_NAMES.includes(fold)) {
        throw new TypeError(
          `list "${list.name}": unknown fold ${JSON.stringify(fold)} (expected one of ${FOLD_NAMES.join(", ")})`,
        );
      }
      if (needsReadings.has(fold) && !chineseReadingsLoaded()) {
        throw new Error(
          `list "${list.name}" uses the ${fold} fold: await loadChineseReadings() (from @dify-ext/moderation-engines/keywords) before building the matcher`,
        );
      }
    }
  }
  const common: Omit<KeywordMatcherOptions, "lists"> = {
    ...(options.allow === undefined ? {} : { allow: options.allow }),
    ...(options.allowLists === undefined ? {} : { allowLists: options.allowLists }),
    ...(options.match === undefined ? {} : { match: options.match }),
    ...(options.separators === undefined ? {} : { separators: options.separators }),
  };
  const signature = (folds: TextFolds) => `${+folds.chinese}${+folds.numerals}${+folds.lookalikes}${+folds.repeats}`;
  const groups = new Map<string, { folds: TextFolds; lists: KeywordListInput[] }>();
  const plainLists: KeywordListInput[] = [];
  for (const list of options.lists) {
    if ((list.folds?.length ?? 0) === 0) {
      plainLists.push(list);
      continue;
    }
    const folds = textFoldsOf(list.folds);
    const key = signature(folds);
    let group = groups.get(key);
    if (!group) {
      group = { folds, lists: [] };
      groups.set(key, group);
    }
    group.lists.push(list);
  }
  // The plain lists join the first group whose folds cannot change what they (or the allow terms) find.
  const allowTerms = [...(options.allow ?? []), ...(options.allowLists ?? []).flatMap((list) => list.terms)];
  const plainTerms = plainLists.flatMap((list) => list.terms);
  const host =
    plainLists.length === 0
      ? undefined
      : [...groups.values()].find(({ folds }) =>
          [...plainTerms, ...allowTerms].every((term) => !touchedBy(folds, normalizeForMatching(term))),
        );
  if (host) host.lists.push(...plainLists);
  const plain = plainLists.length > 0 && !host ? buildMatcher({ ...common, lists: plainLists }) : undefined;
  const groupMatchers = [...groups.values()].map((group) => ({
    lists: group.lists,
    matcher: buildMatcher({ ...common, lists: group.lists }, group.folds),
  }));
  const matchers = [...(plain ? [plain] : []), ...groupMatchers.map((g) => g.matcher)];

  const find = (text: string): KeywordFinding[] => {
    if (matchers.length === 1) return matchers[0]!.find(text);
    let all: KeywordFinding[] = [];
    for (const m of matchers) {
      const found = m.find(text);
      if (found.length > 0) all = all.length === 0 ? found : mergeFindings(all, found);
    }
    return all;
  };

  // Stats in the order the lists were given.
  const statsOf = new Map<KeywordListInput, KeywordListStats>();
  if (plain) {
    for (const [i, list] of plainLists.entries()) statsOf.set(list, plain.stats.lists[i]!);
  }
  for (const { lists, matcher } of groupMatchers) {
    for (const [i, list] of lists.entries()) statsOf.set(list, matcher.stats.lists[i]!);
  }
  const lists = options.lists.map((list) => statsOf.get(list)!);
  const first = matchers[0]!.stats;
  const listSkipped = lists.reduce((sum, list) => sum + list.skipped, 0);
  const allowSkipped = first.skipped - first.lists.reduce((sum, list) => sum + list.skipped, 0);
  let variants: KeywordMatcherStats["variants"];
  for (const m of matchers) {
    const v = m.stats.variants;
    if (!v) continue;
    variants = variants ?? { initials: 0, soundTerms: 0, soundPatterns: 0, capped: 0 };
    variants.initials += v.initials;
    variants.soundTerms += v.soundTerms;
    variants.soundPatterns += v.soundPatterns;
    variants.capped += v.capped;
  }
  const stats: KeywordMatcherStats = {
    terms: lists.reduce((sum, list) => sum + list.terms, 0),
    allowTerms: first.allowTerms,
    allowLists: first.allowLists,
    skipped: listSkipped + allowSkipped,
    patterns: matchers.reduce((sum, m) => sum + m.stats.patterns, 0),
    nodes: matchers.reduce((sum, m) => sum + m.stats.nodes, 0),
    bytes: matchers.reduce((sum, m) => sum + m.stats.bytes, 0),
    buildMs: 0,
    lists,
    ...(variants ? { variants } : {}),
  };
  stats.buildMs = Math.round((performance.now() - started) * 10) / 10;
  // Streamed answers are judged whole with a folded list: incremental judging (`extendFindings`) is
  // proven by property tests for the plain matcher only, and a null reach makes it fall back.
  return Object.freeze({ find, stats: Object.freeze(stats), options: matchers[0]!.options, reach: null });
}

/** Findings of two matchers in one list, in the matcher's order, the same span, label and category once. */
function mergeFindings(a: KeywordFinding[], b: KeywordFinding[]): KeywordFinding[] {
  return sortWithoutRepeats(
    a.concat(b),
    (x, y) => compareFindings(x, y) || (x.fold === undefined ? 0 : 1) - (y.fold === undefined ? 0 : 1),
    sameFinding,
  );
}
