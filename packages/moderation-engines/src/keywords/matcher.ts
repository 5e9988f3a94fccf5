import { OTHER_CATEGORY } from "../categories.ts";
import type { Finding } from "../engine.ts";
import { Automaton } from "./automaton.ts";
import { chineseFoldTable, foldChinese, foldChineseInto, hasChineseFoldCharacter } from "./chinese-fold.ts";
import { isSeparator, isSpacedWordChar, NormalizedBuffer, normalizeForMatching, normalizeInto } from "./normalize.ts";
import type { ListFold, MatchMode } from "./parse.ts";

/** A keyword finding: span of the original text, the term as written, its list and the list's category. */
export interface KeywordFinding extends Finding {
  /** Name of the list the term came from. */
  list: string;
  /** The list's category (`other` for a list without one). */
  category: string;
}

/** A list of terms to block, as given to {@link createKeywordMatcher}. */
export interface KeywordListInput {
  name: string;
  terms: readonly string[];
  /** Overrides the matcher's `match` option for this list. */
  match?: MatchMode;
  /** `chinese`: Traditional and Simplified Chinese match each other (terms and text folded to one form). */
  fold?: ListFold;
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
  /** The list's fold, when it has one. */
  fold?: ListFold;
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
}

/** An immutable keyword matcher. */
export interface KeywordMatcher {
  /**
   * Finds every blocked term in `text`. Spans are UTF-16 offsets of the ORIGINAL text covering
   * exactly the original characters of the match (invisible characters inside included).
   * Overlapping matches of different terms are all kept; the same span and label is reported once.
   * Sorted by start ascending, then end descending (enclosing match first), then label.
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
}

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
}

/**
 * Builds an immutable matcher from block lists, allow terms and options. Terms are normalised
 * exactly as texts are (NFKC, case folding, invisible characters removed); terms that normalise to
 * nothing are skipped and counted in `stats.skipped`.
 */
export function createKeywordMatcher(options: KeywordMatcherOptions): KeywordMatcher {
  if (Array.isArray(options?.lists) && options.lists.some((list) => list?.fold !== undefined)) {
    return createFoldingMatcher(options);
  }
  return buildMatcher(options);
}

/** How the matcher of folded lists folds normalised terms and texts (lengths never change). */
interface TextFold {
  term(normalized: string): string;
  text(buffer: NormalizedBuffer): void;
}

function buildMatcher(options: KeywordMatcherOptions, fold?: TextFold): KeywordMatcher {
  const started = performance.now();
  const defaultMode: MatchMode = options.match ?? "word";
  if (defaultMode !== "word" && defaultMode !== "substring") {
    throw new TypeError(`match must be "word" or "substring", got ${JSON.stringify(options.match)}`);
  }
  const separators = options.separators ?? false;
  const listNames: string[] = [];
  const listCategories: string[] = [];
  const listStats: KeywordListStats[] = [];
  const pending: PendingEntry[] = [];
  let skipped = 0;
  let blockTerms = 0;
  let allowTerms = 0;

  const add = (term: string, mode: MatchMode | "allow", list: number): boolean => {
    const normalized = fold ? fold.term(normalizeForMatching(term)) : normalizeForMatching(term);
    if (normalized === "") return false;
    const kind = mode === "allow" ? F_ALLOW : mode === "word" ? 0 : -1;
    const flagsFor = (p: string) => (kind === F_ALLOW ? F_ALLOW : kind === 0 ? edgeFlags(p) : 0);
    if (!separators) {
      pending.push({ pattern: normalized, flags: flagsFor(normalized) | F_PASS_PLAIN, label: term, list });
      return true;
    }
    const collapsed = removeSeparators(normalized);
    if (collapsed === normalized) {
      pending.push({
        pattern: normalized,
        flags: flagsFor(normalized) | F_PASS_PLAIN | F_PASS_COLLAPSED,
        label: term,
        list,
      });
    } else {
      pending.push({ pattern: normalized, flags: flagsFor(normalized) | F_PASS_PLAIN, label: term, list });
      // The collapsed pass finds the term's letters; the term's own separators are then required
      // around and between them (see ownSeparatorsSpan), so `$hit` never matches `hit`. Word
      // boundaries apply to the term as written: `$hit` starts with a symbol, so it needs none there.
      if (collapsed !== "") {
        const flags = flagsFor(normalized) | F_PASS_COLLAPSED | F_OWN_SEPARATORS;
        pending.push({ pattern: collapsed, flags, label: term, list, term: normalized });
      }
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
      if (add(term.trim(), mode, index)) used++;
      else listSkipped++;
    }
    blockTerms += used;
    skipped += listSkipped;
    listStats.push({
      name: list.name,
      terms: used,
      skipped: listSkipped,
      match: mode,
      ...(list.fold ? { fold: list.fold } : {}),
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

  // Entries grouped by pattern id (CSR), dropping exact duplicates (same pattern, flags, list and
  // own-separators term).
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
  const entryList = new Int32Array(pending.length);
  const entryLabel: string[] = new Array(pending.length);
  const entryTerm: Array<Uint16Array | undefined> = new Array(pending.length);
  const entryTermText: Array<string | undefined> = new Array(pending.length);
  for (let i = 0; i < pending.length; i++) {
    const p = patternIds[i]!;
    const entry = pending[i]!;
    let duplicate = false;
    for (let e = groupStart[p]!; e < slot[p]!; e++) {
      if (entryFlags[e] === entry.flags && entryList[e] === entry.list && entryTermText[e] === entry.term) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    const e = slot[p]!++;
    entryFlags[e] = entry.flags;
    entryList[e] = entry.list;
    entryLabel[e] = entry.label;
    if (entry.term !== undefined) {
      entryTerm[e] = stringUnits(entry.term);
      entryTermText[e] = entry.term;
    }
  }
  const groupEnd = slot;
  pending.length = 0;

  // Per-call scratch state, reused: find() is synchronous, so calls never interleave.
  const normalized = new NormalizedBuffer();
  let collapsedUnits = new Uint16Array(256);
  let collapsedMap = new Int32Array(256);
  let collapsedLength = 0;
  let candStart = new Int32Array(64);
  let candEnd = new Int32Array(64);
  let candEntry = new Int32Array(64);
  let candCount = 0;
  let allowStart = new Int32Array(16);
  let allowEnd = new Int32Array(16);
  let allowCount = 0;

  const pushCandidate = (start: number, end: number, entry: number) => {
    if (candCount === candStart.length) {
      candStart = grow(candStart);
      candEnd = grow(candEnd);
      candEntry = grow(candEntry);
    }
    candStart[candCount] = start;
    candEnd[candCount] = end;
    candEntry[candCount] = entry;
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

  // Whole-word checks look at the normalised (uncollapsed) text around [start, end).
  const boundaryOk = (flags: number, start: number, end: number): boolean => {
    const units = normalized.units;
    if ((flags & F_WORD_START) !== 0 && start > 0) {
      const c = units[start - 1]!;
      if (isSpacedWordUnit(c, c < 0x80 ? c : codePointBefore(units, start))) return false;
    }
    if ((flags & F_WORD_END) !== 0 && end < normalized.length) {
      const c = units[end]!;
      if (isSpacedWordUnit(c, c < 0x80 ? c : codePointAtUnits(units, end, normalized.length))) return false;
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
    const units = normalized.units;
    const n = normalized.length;
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

  const reportEntry = (e: number, flags: number, start: number, end: number) => {
    if ((flags & F_ALLOW) !== 0) {
      pushAllow(normalized.originalStart(start), normalized.originalEnd(end - 1));
    } else if (boundaryOk(flags, start, end)) {
      pushCandidate(normalized.originalStart(start), normalized.originalEnd(end - 1), e);
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

  const collapse = (): boolean => {
    const n = normalized.length;
    if (collapsedUnits.length < n) {
      collapsedUnits = new Uint16Array(normalized.units.length);
      collapsedMap = new Int32Array(normalized.units.length);
    }
    const units = normalized.units;
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

  const find = (text: string): KeywordFinding[] => {
    if (typeof text !== "string") throw new TypeError("text must be a string");
    candCount = 0;
    allowCount = 0;
    normalizeInto(text, normalized);
    if (fold) fold.text(normalized);
    automaton.scan(normalized.units, normalized.length, onPlainMatch);
    if (separators && collapse()) {
      automaton.scan(collapsedUnits, collapsedLength, onCollapsedMatch);
    }
    if (candCount === 0) return [];
    const findings: KeywordFinding[] = [];
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
      const list = entryList[e]!;
      findings.push({ start, end, label: entryLabel[e]!, list: listNames[list]!, category: listCategories[list]! });
    }
    findings.sort(compareFindings);
    let w = 0;
    for (let r = 0; r < findings.length; r++) {
      const f = findings[r]!;
      const prev = w > 0 ? findings[w - 1]! : undefined;
      if (prev && sameFinding(prev, f)) continue;
      findings[w++] = f;
    }
    findings.length = w;
    return findings;
  };

  const stats: KeywordMatcherStats = {
    terms: blockTerms,
    allowTerms,
    allowLists: allowListStats,
    skipped,
    patterns: patternCount,
    nodes: automaton.nodeCount,
    bytes: automaton.byteSize,
    buildMs: 0,
    lists: listStats,
  };
  stats.buildMs = Math.round((performance.now() - started) * 10) / 10;
  return Object.freeze({
    find,
    stats: Object.freeze(stats),
    options: Object.freeze({ match: defaultMode, separators }),
    reach: separators ? null : Object.freeze({ pattern: longestPattern, allow: longestAllow }),
  });
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

const CHINESE_FOLD: TextFold = { term: foldChinese, text: foldChineseInto };

/**
 * A matcher over lists some of which have a fold. The folded lists get a matcher whose terms and
 * texts are folded after normalisation (allow terms too). Folding keeps lengths, so spans map to the
 * original text exactly as without it.
 *
 * Lists without a fold must find exactly what they found before. When neither they nor the allow
 * terms hold a character of a fold group (English lists beside a Chinese one, the usual case),
 * folding changes nothing for them, so they join the folded matcher: one pass over the text. Else
 * they get a matcher of their own, built and run exactly as when no list has a fold, and `find`
 * runs both and merges their findings.
 */
function createFoldingMatcher(options: KeywordMatcherOptions): KeywordMatcher {
  const started = performance.now();
  for (const list of options.lists) {
    if (list.fold !== undefined && list.fold !== "chinese") {
      throw new TypeError(`list "${list.name}": fold must be "chinese", got ${JSON.stringify(list.fold)}`);
    }
  }
  const common: Omit<KeywordMatcherOptions, "lists"> = {
    ...(options.allow === undefined ? {} : { allow: options.allow }),
    ...(options.allowLists === undefined ? {} : { allowLists: options.allowLists }),
    ...(options.match === undefined ? {} : { match: options.match }),
    ...(options.separators === undefined ? {} : { separators: options.separators }),
  };
  const touchedByFold = (terms: readonly string[] | undefined) =>
    (terms ?? []).some((term) => hasChineseFoldCharacter(normalizeForMatching(term)));
  const separate =
    touchedByFold(options.allow) ||
    (options.allowLists ?? []).some((list) => touchedByFold(list.terms)) ||
    options.lists.some((list) => list.fold === undefined && touchedByFold(list.terms));
  const inFolded = (list: KeywordListInput) => list.fold !== undefined || !separate;
  const plainLists = options.lists.filter((list) => !inFolded(list));
  const foldedLists = options.lists.filter(inFolded);
  const plain = plainLists.length > 0 ? buildMatcher({ ...common, lists: plainLists }) : undefined;
  const folded = buildMatcher({ ...common, lists: foldedLists }, CHINESE_FOLD);

  const find = (text: string): KeywordFinding[] => {
    const fromFolded = folded.find(text);
    if (!plain) return fromFolded;
    const fromPlain = plain.find(text);
    if (fromFolded.length === 0) return fromPlain;
    if (fromPlain.length === 0) return fromFolded;
    return mergeFindings(fromPlain, fromFolded);
  };

  const a = plain?.stats;
  const b = folded.stats;
  const plainStats = a?.lists ?? [];
  const lists: KeywordListStats[] = [];
  let p = 0;
  let f = 0;
  for (const list of options.lists) lists.push(inFolded(list) ? b.lists[f++]! : plainStats[p++]!);
  const listSkipped = lists.reduce((sum, list) => sum + list.skipped, 0);
  const allowSkipped = b.skipped - b.lists.reduce((sum, list) => sum + list.skipped, 0);
  const stats: KeywordMatcherStats = {
    terms: (a?.terms ?? 0) + b.terms,
    allowTerms: b.allowTerms,
    allowLists: b.allowLists,
    skipped: listSkipped + allowSkipped,
    patterns: (a?.patterns ?? 0) + b.patterns,
    nodes: (a?.nodes ?? 0) + b.nodes,
    bytes: (a?.bytes ?? 0) + b.bytes + chineseFoldTable().bytes,
    buildMs: 0,
    lists,
  };
  stats.buildMs = Math.round((performance.now() - started) * 10) / 10;
  // Streamed answers are judged whole with a folded list: incremental judging (`extendFindings`) is
  // proven by property tests for the plain matcher only, and a null reach makes it fall back.
  return Object.freeze({ find, stats: Object.freeze(stats), options: folded.options, reach: null });
}

/** Findings of two matchers in one list, in the matcher's order, the same span and label once. */
function mergeFindings(a: KeywordFinding[], b: KeywordFinding[]): KeywordFinding[] {
  const findings = a.concat(b);
  findings.sort(compareFindings);
  let w = 0;
  for (let r = 0; r < findings.length; r++) {
    const f = findings[r]!;
    const prev = w > 0 ? findings[w - 1]! : undefined;
    if (prev && sameFinding(prev, f)) continue;
    findings[w++] = f;
  }
  findings.length = w;
  return findings;
}
