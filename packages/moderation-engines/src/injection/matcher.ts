/**
 * The injection rule matcher: rule sets compiled into two Aho-Corasick automata (the keyword
 * engine's `Automaton`), one over the canonical form of the text (word phrases) and one over the
 * normalised text (raw literals such as `<|im_start|>`); hits chained into rule matches slot by slot
 * within each rule's token gaps; and rule weights summed over a sliding window of tokens. Hidden
 * text (tag characters, variation selectors, encoded blobs) is decoded within bounds and judged by
 * the same rules; canary strings are found in answers.
 *
 * Cost is linear in the text (plus the number of hits, sorted once): no regular expression runs
 * over user text, so no input can make a rule backtrack.
 */
import type { Finding, ModerationPoint } from "../engine.ts";
import { Automaton, PackedAutomaton } from "../keywords/automaton.ts";
import { isSeparator, isSpacedWordChar, normalizeForMatching } from "../keywords/normalize.ts";
import { ensureCapacity } from "../text/buffers.ts";
import { sortWithoutRepeats } from "../text/order.ts";
import { CanonicalText, canonicalize, canonicalizeInto } from "./canonical.ts";
import { type InjectionRule, type InjectionRuleSet, InjectionRulesError } from "./rules.ts";
import { type BlobLimits, findEncodedBlobs, findHiddenCharacters, type HiddenText } from "./smuggling.ts";

/** The columns of the hit and rule-match tables a matcher reuses between calls; they grow together. */
const HIT_COLUMNS = ["entry", "raw", "normStart", "normEnd", "tokStart", "tokEnd"] as const;
const MATCH_COLUMNS = ["rule", "normStart", "normEnd", "tokStart"] as const;

/** A finding of the injection engine: the rule that matched and its category. */
export interface InjectionFinding extends Finding {
  /** The rule id (also in `label`, which the audit trail records). */
  rule: string;
  /**
   * The rule's category as the rules name it (`jailbreak`); the engine's verdicts carry it in the
   * one vocabulary (`injection.jailbreak`, see `injectionCategoryOf`).
   */
  category: string;
  /** Hidden or encoded text this finding revealed, decoded (for the playground; never logged). */
  decoded?: string;
}

/** The judgement of one text by the rules. */
export interface InjectionJudgement {
  flagged: boolean;
  /** The highest window score (sum of rule weights); hidden text and canaries flag whatever it is. */
  score: number;
  findings: InjectionFinding[];
  categories: string[];
}

export interface InjectionMatcherOptions {
  /** Rule sets in order: later rules replace earlier ones with the same id, `disable` removes them. */
  ruleSets: readonly InjectionRuleSet[];
  /** Strings that must never appear in an answer (see docs/engine-injection.md, canary). */
  canaries?: readonly string[];
  /** The window score that flags a text. */
  threshold: number;
  /** Width of the scoring window, in tokens. */
  windowTokens: number;
  /** Findings reported per text at most (the text is flagged whatever the number). */
  maxFindings: number;
  /** Encoded blobs decoded per text, and characters per blob. */
  maxBlobs: number;
  maxBlobChars: number;
  /** How deep decoded text is decoded again (base64 inside base64). */
  maxDecodeDepth: number;
}

export interface InjectionMatcherStats {
  /** Rules in use (after replacements and `disable`). */
  rules: number;
  /** Rules per source, in order. */
  sources: { source: string; rules: number; disabled: number }[];
  /** Distinct patterns in the two automata. */
  patterns: number;
  canaries: number;
  /** Approximate bytes of the automata and tables. */
  bytes: number;
  buildMs: number;
}

export interface InjectionMatcher {
  judge(text: string, point: ModerationPoint): InjectionJudgement;
  readonly stats: Readonly<InjectionMatcherStats>;
  readonly options: Readonly<Omit<InjectionMatcherOptions, "ruleSets" | "canaries">>;
}

/** Rule ids of the built-in detectors (not in any rules file). */
export const DETECTOR_RULES = {
  "unicode-tags": "smuggling.unicode-tags",
  "variation-selectors": "smuggling.variation-selectors",
  base64: "smuggling.base64",
  hex: "smuggling.hex",
  binary: "smuggling.binary",
  "url-encoding": "smuggling.url-encoding",
  escapes: "smuggling.escapes",
  canary: "prompt-leak.canary",
} as const;

/** Shortest canary, in letters and digits: shorter ones would appear in ordinary answers. */
export const MIN_CANARY_CHARS = 8;
/** Characters of decoded hidden text kept in a finding. */
const DECODED_CHARS = 500;

const NOTHING_HIDDEN: readonly HiddenText[] = Object.freeze([]);
const NOTHING_HIDDEN_CATEGORIES: readonly string[] = Object.freeze([]);

const F_END = 2;
const SPACE = 0x20;
const POINT_BITS: Record<ModerationPoint, number> = { input: 1, output: 2 };

/** Compiles rule sets and canaries into a matcher. Throws {@link InjectionRulesError} naming the rule's line. */
export function createInjectionMatcher(options: InjectionMatcherOptions): InjectionMatcher {
  const started = performance.now();
  const { threshold, windowTokens, maxFindings } = options;

  // Rules in effect: later ids replace earlier ones; `disable` removes.
  const byId = new Map<string, InjectionRule>();
  const sources: InjectionMatcherStats["sources"] = [];
  for (const set of options.ruleSets) {
    for (const rule of set.rules) {
      byId.delete(rule.id);
      byId.set(rule.id, rule);
    }
    for (const { id, line } of set.disabled) {
      if (!byId.delete(id))
        throw new InjectionRulesError(set.source, line, `disable ${id}: no rule ${id} is loaded before it`);
    }
    sources.push({ source: set.source, rules: set.rules.length, disabled: set.disabled.length });
  }
  const rules = [...byId.values()];

  // Patterns: canonical word phrases and raw literals, each entry a (rule, slot) with boundary flags.
  const wordPatterns: string[] = [];
  const wordEntries: Array<{ rule: number; slot: number; flags: number }> = [];
  const rawPatterns: string[] = [];
  const rawEntries: Array<{ rule: number; slot: number; flags: number }> = [];
  const ruleSlots = new Int32Array(rules.length);
  const ruleGapStart = new Int32Array(rules.length);
  const gaps: number[] = [];
  const rulePoints = new Uint8Array(rules.length);
  rules.forEach((rule, r) => {
    ruleSlots[r] = rule.slots.length;
    ruleGapStart[r] = gaps.length;
    gaps.push(...rule.gaps);
    rulePoints[r] = rule.points.reduce((bits, point) => bits | POINT_BITS[point], 0);
    rule.slots.forEach((slot, s) => {
      for (const alt of slot) {
        const [origin, line] = splitOrigin(rule.origin);
        if (alt.kind === "raw") {
          const pattern = normalizeForMatching(alt.text);
          if (pattern === "") throw new InjectionRulesError(origin, line, `"${alt.text}" is empty after normalisation`);
          rawPatterns.push(pattern);
          rawEntries.push({ rule: r, slot: s, flags: 0 });
        } else {
          const pattern = canonicalize(alt.text);
          if (pattern === "") {
            throw new InjectionRulesError(origin, line, `"${alt.text.slice(0, 60)}" has no letters or digits`);
          }
          // A phrase starts at a token's start and, unless starred, ends at a token's end: a spaced
          // word at either end gets a space there, which the scan finds only between tokens or at
          // the text's ends (it pads the text with one). Unspaced scripts need no boundary. A word
          // glued to a letter of any script (`prompt𐐨`, Deseret) is another word, as `promptx` is.
          const lead = isSpacedWordChar(pattern.codePointAt(0)!) ? " " : "";
          const trail = !alt.prefix && isSpacedWordChar(lastCodePoint(pattern)) ? " " : "";
          wordPatterns.push(`${lead}${pattern}${trail}`);
          wordEntries.push({ rule: r, slot: s, flags: alt.prefix ? 0 : F_END });
        }
      }
    });
  });
  const words = buildAutomaton(wordPatterns, wordEntries, SPACE);
  // The word scan reads every unit of every text, mostly failing: packed, it misses the caches less.
  const wordScanner = words.automaton ? new PackedAutomaton(words.automaton) : undefined;
  const raw = buildAutomaton(rawPatterns, rawEntries, -1);
  // The points at which some word rule or some raw rule applies: a scan that can find nothing is skipped.
  let wordPoints = 0;
  let rawPoints = 0;
  for (const entry of wordEntries) wordPoints |= rulePoints[entry.rule]!;
  for (const entry of rawEntries) rawPoints |= rulePoints[entry.rule]!;
  const rawTriggers = triggerUnits(rawPatterns);

  // Canaries: letters and digits only, so spacing and punctuation in the answer do not hide one.
  const canaryPatterns: string[] = [];
  for (const canary of options.canaries ?? []) {
    const key = alnumOnly(normalizeForMatching(canary));
    if (key.length < MIN_CANARY_CHARS) {
      throw new RangeError(`a canary needs at least ${MIN_CANARY_CHARS} letters or digits; got one with ${key.length}`);
    }
    canaryPatterns.push(key);
  }
  const canaryIds = new Int32Array(canaryPatterns.length);
  const canaries = canaryPatterns.length > 0 ? new Automaton(canaryPatterns, canaryIds) : undefined;

  // Chain state per (rule, slot < last): a ring of the last four partial matches.
  const RING = 4;
  const stateBase = new Int32Array(rules.length + 1);
  for (let r = 0; r < rules.length; r++) stateBase[r + 1] = stateBase[r]! + Math.max(0, ruleSlots[r]! - 1) * RING;
  const stateSize = stateBase[rules.length]!;
  const ringEnd = new Int32Array(stateSize);
  const ringStartNorm = new Int32Array(stateSize);
  const ringStartTok = new Int32Array(stateSize);
  const ringStamp = new Int32Array(stateSize);
  const ringNext = new Int32Array(Math.max(1, stateSize / RING));
  const ringNextStamp = new Int32Array(Math.max(1, stateSize / RING));
  let stamp = 0;

  // Which slots have a hit so far in this text (generation stamps), to drop a later slot's hit at
  // once when nothing could come before it. Exact for rules without raw literals: their hits come
  // in end order from one scan, and a slot's predecessor ends before the slot starts.
  const slotBase = new Int32Array(rules.length + 1);
  for (let r = 0; r < rules.length; r++) slotBase[r + 1] = slotBase[r]! + ruleSlots[r]!;
  const slotSeen = new Int32Array(slotBase[rules.length]!);
  const rulePrunable = Uint8Array.from(rules, (rule) =>
    rule.slots.some((slot) => slot.some((alt) => alt.kind === "raw")) ? 0 : 1,
  );
  let seenStamp = 0;
  const ruleWeight = Float64Array.from(rules, (rule) => rule.weight);
  const ruleCount = new Int32Array(rules.length);
  const canonical = new CanonicalText();
  canonical.triggers = rawTriggers;

  // Hits and rule matches, reused between calls (judge is synchronous; decoded text is judged only
  // after the outer text no longer needs them).
  const hit = {
    entry: new Int32Array(256),
    raw: new Uint8Array(256),
    normStart: new Int32Array(256),
    normEnd: new Int32Array(256),
    tokStart: new Int32Array(256),
    tokEnd: new Int32Array(256),
  };
  let hits = 0;
  const pushHit = (entry: number, isRaw: number, ns: number, ne: number, ts: number, te: number) => {
    if (hits === hit.entry.length) ensureCapacity(hit, HIT_COLUMNS, hits + 1);
    hit.entry[hits] = entry;
    hit.raw[hits] = isRaw;
    hit.normStart[hits] = ns;
    hit.normEnd[hits] = ne;
    hit.tokStart[hits] = ts;
    hit.tokEnd[hits] = te;
    hits++;
  };
  const match = {
    rule: new Int32Array(64),
    normStart: new Int32Array(64),
    normEnd: new Int32Array(64),
    tokStart: new Int32Array(64),
  };
  let matches = 0;
  const pushMatch = (rule: number, ns: number, ne: number, ts: number) => {
    if (matches === match.rule.length) ensureCapacity(match, MATCH_COLUMNS, matches + 1);
    match.rule[matches] = rule;
    match.normStart[matches] = ns;
    match.normEnd[matches] = ne;
    match.tokStart[matches] = ts;
    matches++;
  };

  let pointBit = 1;
  let report = new Uint8Array(64);
  // Counting sort by token: bucket counts and the sorted order, reused.
  let buckets = new Int32Array(256);
  let sorted = new Int32Array(256);
  /** Indexes 0..count-1 ordered by `key` (token ordinals up to `tokens`), stable. Valid until the next call. */
  const sortByToken = (count: number, key: Int32Array, tokens: number): Int32Array => {
    if (buckets.length < tokens + 2) buckets = new Int32Array((tokens + 2) * 2);
    if (sorted.length < count) sorted = new Int32Array(count * 2);
    buckets.fill(0, 0, tokens + 2);
    for (let i = 0; i < count; i++) buckets[key[i]! + 1]!++;
    for (let t = 1; t < tokens + 2; t++) buckets[t]! += buckets[t - 1]!;
    for (let i = 0; i < count; i++) sorted[buckets[key[i]!]!++] = i;
    return sorted;
  };
  const onWordHit = (patternId: number, end: number) => {
    const units = canonical.units;
    // Without the pads: `end` may be one past the text when the pattern ends with one.
    const start = end - words.patternLength[patternId]! + words.lead[patternId]!;
    const stop = end - words.trail[patternId]!;
    for (let e = words.groupStart[patternId]!; e < words.groupStart[patternId + 1]!; e++) {
      const entry = words.entries[e]!;
      const r = entry.rule;
      if ((rulePoints[r]! & pointBit) === 0) continue;
      if (entry.slot > 0 && rulePrunable[r] === 1 && slotSeen[slotBase[r]! + entry.slot - 1] !== seenStamp) continue;
      // A starred alternative (`instruct*`) covers the rest of its word, so masking hides all of it.
      let last = stop - 1;
      if ((entry.flags & F_END) === 0) while (last + 1 < canonical.length && isWordUnit(units, last + 1)) last++;
      slotSeen[slotBase[r]! + entry.slot] = seenStamp;
      pushHit(
        e,
        0,
        canonical.normStart(start),
        canonical.normEnd(last),
        canonical.tokenAt(start),
        canonical.tokenAt(last) + 1,
      );
    }
  };
  const onRawHit = (patternId: number, end: number) => {
    const start = end - raw.patternLength[patternId]!;
    for (let e = raw.groupStart[patternId]!; e < raw.groupStart[patternId + 1]!; e++) {
      const entry = raw.entries[e]!;
      if ((rulePoints[entry.rule]! & pointBit) === 0) continue;
      pushHit(e, 1, start, end, canonical.normTokenAt(start), canonical.normTokenAt(end - 1) + 1);
    }
  };

  /** Chains sorted hits into rule matches (slot by slot, within each gap). */
  const chain = (order: Int32Array) => {
    stamp++;
    for (let k = 0; k < hits; k++) {
      const h = order[k]!;
      const entry = hit.raw[h] ? raw.entries[hit.entry[h]!]! : words.entries[hit.entry[h]!]!;
      const r = entry.rule;
      const slot = entry.slot;
      const last = ruleSlots[r]! - 1;
      const ts = hit.tokStart[h]!;
      let startNorm = hit.normStart[h]!;
      let startTok = ts;
      if (slot > 0) {
        const base = stateBase[r]! + (slot - 1) * RING;
        const gap = gaps[ruleGapStart[r]! + slot]!;
        let best = -1;
        for (let q = base; q < base + RING; q++) {
          if (ringStamp[q] !== stamp) continue;
          const end = ringEnd[q]!;
          if (end > ts || ts - end > gap) continue;
          if (best === -1 || ringStartTok[q]! > ringStartTok[best]!) best = q;
        }
        if (best === -1) continue;
        startNorm = ringStartNorm[best]!;
        startTok = ringStartTok[best]!;
      }
      if (slot === last) {
        pushMatch(r, startNorm, hit.normEnd[h]!, startTok);
      } else {
        const ring = (stateBase[r]! + slot * RING) / RING;
        if (ringNextStamp[ring] !== stamp) {
          ringNextStamp[ring] = stamp;
          ringNext[ring] = 0;
        }
        const q = ring * RING + ringNext[ring]!;
        ringNext[ring] = (ringNext[ring]! + 1) % RING;
        ringStamp[q] = stamp;
        ringEnd[q] = hit.tokEnd[h]!;
        ringStartNorm[q] = startNorm;
        ringStartTok[q] = startTok;
      }
    }
  };

  // The findings of the last judgeRules call (undefined: none); read before the next call.
  let ruleFindings: InjectionFinding[] | undefined;
  /** Rule judgement of the text in `canonical` (filled): the score, and findings in `ruleFindings` (original offsets). */
  const judgeRules = (point: ModerationPoint): number => {
    ruleFindings = undefined;
    hits = 0;
    matches = 0;
    seenStamp++;
    pointBit = POINT_BITS[point];
    if (wordScanner && (wordPoints & pointBit) !== 0) {
      wordScanner.scanPadded(canonical.units, canonical.length, SPACE, onWordHit);
    }
    if (raw.automaton && (rawPoints & pointBit) !== 0 && canonical.triggered) {
      raw.automaton.scan(canonical.normalized.units, canonical.normalized.length, onRawHit);
    }
    if (hits === 0) return 0;
    const order = sortByToken(hits, hit.tokStart, canonical.tokens);
    chain(order);
    if (matches === 0) return 0;
    const byStart = sortByToken(matches, match.tokStart, canonical.tokens).slice(0, matches);

    // Sliding window: each rule counted once; matches in a window that reaches the threshold are reported.
    let score = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let lo = 0;
    let reportedUpTo = 0;
    if (report.length < matches) report = new Uint8Array(matches * 2);
    report.fill(0, 0, matches);
    for (let hi = 0; hi < matches; hi++) {
      const m = byStart[hi]!;
      while (match.tokStart[m]! - match.tokStart[byStart[lo]!]! >= windowTokens) {
        const r = match.rule[byStart[lo]!]!;
        ruleCount[r] = ruleCount[r]! - 1;
        if (ruleCount[r] === 0) sum -= ruleWeight[r]!;
        lo++;
      }
      const r = match.rule[m]!;
      if (ruleCount[r] === 0) sum += ruleWeight[r]!;
      ruleCount[r] = ruleCount[r]! + 1;
      if (sum > score) score = sum;
      if (sum >= threshold - 1e-9) {
        for (let k = Math.max(lo, reportedUpTo); k <= hi; k++) report[k] = 1;
        reportedUpTo = hi + 1;
      }
    }
    for (let k = lo; k < matches; k++) ruleCount[match.rule[byStart[k]!]!] = 0;

    const findings: InjectionFinding[] = [];
    const norm = canonical.normalized;
    for (let k = 0; k < matches && findings.length < maxFindings * 4; k++) {
      if (!report[k]) continue;
      const m = byStart[k]!;
      const r = match.rule[m]!;
      if (ruleWeight[r]! <= 0) continue;
      const rule = rules[r]!;
      findings.push({
        start: norm.originalStart(match.normStart[m]!),
        end: norm.originalEnd(match.normEnd[m]! - 1),
        label: rule.id,
        rule: rule.id,
        category: rule.category,
      });
    }
    ruleFindings = findings;
    return score;
  };

  let canaryUnits = new Uint16Array(256);
  let canaryMap = new Int32Array(256);
  /** Canary findings of the text in `canonical` (filled), original offsets. */
  const judgeCanaries = (): InjectionFinding[] => {
    if (!canaries) return [];
    const norm = canonical.normalized;
    if (canaryUnits.length < norm.length) {
      canaryUnits = new Uint16Array(norm.length * 2);
      canaryMap = new Int32Array(norm.length * 2);
    }
    const units = canaryUnits;
    const map = canaryMap;
    let m = 0;
    for (let i = 0; i < norm.length; i++) {
      const c = norm.units[i]!;
      if (c >= 0xd800 && c <= 0xdfff) continue;
      if (isSeparator(c)) continue;
      units[m] = c;
      map[m++] = i;
    }
    const found: InjectionFinding[] = [];
    canaries.scan(units, m, (id, end) => {
      const start = map[end - canaryPatterns[id]!.length]!;
      found.push({
        start: norm.originalStart(start),
        end: norm.originalEnd(map[end - 1]!),
        label: DETECTOR_RULES.canary,
        rule: DETECTOR_RULES.canary,
        category: "prompt-leak",
      });
    });
    return found;
  };

  const blobLimits: BlobLimits = { maxBlobs: options.maxBlobs, maxBlobChars: options.maxBlobChars };
  const judge = (text: string, point: ModerationPoint, depth: number): InjectionJudgement => {
    canonicalizeInto(text, canonical);
    // Pure ASCII text (normalisation's fast path) holds no tag characters or variation selectors.
    const ascii = canonical.normalized.identity;
    const ruleScore = judgeRules(point);
    let flagged = ruleScore >= threshold - 1e-9;
    let findings: InjectionFinding[] = flagged ? (ruleFindings ?? []) : [];
    if (point === "output") {
      const leaked = judgeCanaries();
      if (leaked.length > 0) {
        flagged = true;
        findings = findings.concat(leaked);
      }
    }
    // Hidden text: always a finding; encoded blobs only when what they hide is flagged.
    const tagsAndSelectors = ascii ? NOTHING_HIDDEN : findHiddenCharacters(text, options.maxBlobChars);
    const blobs =
      depth < options.maxDecodeDepth && !canonical.blobFree ? findEncodedBlobs(text, blobLimits) : NOTHING_HIDDEN;
    if (tagsAndSelectors.length === 0 && blobs.length === 0) {
      if (!flagged) return { flagged: false, score: ruleScore, findings: [], categories: [] };
      return finish(findings, ruleScore, NOTHING_HIDDEN_CATEGORIES);
    }
    const hidden = blobs.length === 0 ? tagsAndSelectors : tagsAndSelectors.concat(blobs);
    const extraCategories: string[] = [];
    for (const run of hidden) {
      const inner = depth < options.maxDecodeDepth ? judge(run.decoded, point, depth + 1) : undefined;
      const isEncoding = run.kind !== "unicode-tags" && run.kind !== "variation-selectors";
      if (isEncoding && !inner?.flagged) continue;
      flagged = true;
      findings.push({
        start: run.start,
        end: run.end,
        label: DETECTOR_RULES[run.kind],
        rule: DETECTOR_RULES[run.kind],
        category: "smuggling",
        decoded: run.decoded.slice(0, DECODED_CHARS),
        detail: `decoded: ${run.decoded.slice(0, DECODED_CHARS)}`,
      });
      if (inner?.flagged) for (const category of inner.categories) extraCategories.push(category);
    }
    if (!flagged) return { flagged: false, score: ruleScore, findings: [], categories: [] };
    return finish(findings, ruleScore, extraCategories);
  };
  /** A flagged judgement: findings ordered and capped, their categories, then those of decoded text. */
  const finish = (all: InjectionFinding[], score: number, extraCategories: readonly string[]): InjectionJudgement => {
    const findings = orderFindings(all).slice(0, maxFindings);
    const categories: string[] = [];
    for (const f of findings) if (!categories.includes(f.category)) categories.push(f.category);
    for (const c of extraCategories) if (!categories.includes(c)) categories.push(c);
    return { flagged: true, score, findings, categories };
  };

  const stats: InjectionMatcherStats = {
    rules: rules.length,
    sources,
    patterns: (words.automaton?.patternCount ?? 0) + (raw.automaton?.patternCount ?? 0),
    canaries: canaryPatterns.length,
    bytes:
      (words.automaton?.byteSize ?? 0) +
      (wordScanner?.byteSize ?? 0) +
      (raw.automaton?.byteSize ?? 0) +
      (canaries?.byteSize ?? 0) +
      (rawTriggers?.byteLength ?? 0) +
      stateSize * 16,
    buildMs: 0,
  };
  stats.buildMs = Math.round((performance.now() - started) * 10) / 10;
  return Object.freeze({
    judge: (text: string, point: ModerationPoint) => {
      if (typeof text !== "string") throw new TypeError("text must be a string");
      return judge(text, point, 0);
    },
    stats: Object.freeze(stats),
    options: Object.freeze({
      threshold,
      windowTokens,
      maxFindings,
      maxBlobs: options.maxBlobs,
      maxBlobChars: options.maxBlobChars,
      maxDecodeDepth: options.maxDecodeDepth,
    }),
  });
}

interface CompiledPatterns {
  automaton: Automaton | undefined;
  /** 1 when pattern `p` starts (`lead`) or ends (`trail`) with the pad unit, else 0. */
  lead: Uint8Array;
  trail: Uint8Array;
  /** Entries grouped by pattern id: entries[groupStart[p] .. groupStart[p+1]). */
  entries: Array<{ rule: number; slot: number; flags: number }>;
  groupStart: Int32Array;
  patternLength: Int32Array;
}

function buildAutomaton(
  patterns: string[],
  entries: Array<{ rule: number; slot: number; flags: number }>,
  pad: number,
): CompiledPatterns {
  if (patterns.length === 0) {
    return {
      automaton: undefined,
      lead: new Uint8Array(0),
      trail: new Uint8Array(0),
      entries: [],
      groupStart: new Int32Array(1),
      patternLength: new Int32Array(0),
    };
  }
  const ids = new Int32Array(patterns.length);
  const automaton = new Automaton(patterns, ids);
  const count = automaton.patternCount;
  const groupStart = new Int32Array(count + 1);
  const patternLength = new Int32Array(count);
  const lead = new Uint8Array(count);
  const trail = new Uint8Array(count);
  for (let i = 0; i < patterns.length; i++) {
    const pattern = patterns[i]!;
    groupStart[ids[i]! + 1]!++;
    patternLength[ids[i]!] = pattern.length;
    lead[ids[i]!] = pattern.charCodeAt(0) === pad ? 1 : 0;
    trail[ids[i]!] = pattern.charCodeAt(pattern.length - 1) === pad ? 1 : 0;
  }
  for (let p = 0; p < count; p++) groupStart[p + 1]! += groupStart[p]!;
  const fill = groupStart.slice(0, count);
  const grouped: Array<{ rule: number; slot: number; flags: number }> = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) grouped[fill[ids[i]!]!++] = entries[i]!;
  return { automaton, lead, trail, entries: grouped, groupStart, patternLength };
}

function isWordUnit(units: Uint16Array, i: number): boolean {
  const c = units[i]!;
  if (c === 0x20) return false;
  if (c < 0x80) return true;
  // Canonical text holds token characters and spaces only; unspaced scripts need no boundary.
  return !isUnspacedUnit(c);
}

function isUnspacedUnit(c: number): boolean {
  // Han, kana, Hangul, Thai, Lao, Khmer, Myanmar and their surrogates (astral Han).
  return (
    (c >= 0x2e80 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7af) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0x0e00 && c <= 0x0eff) ||
    (c >= 0x1000 && c <= 0x109f) ||
    (c >= 0x1780 && c <= 0x17ff) ||
    (c >= 0x1100 && c <= 0x11ff) ||
    (c >= 0xd800 && c <= 0xdfff)
  );
}

/**
 * For each pattern, one character that no ordinary word has (punctuation or a symbol, not a space),
 * its first code unit marked in a table: the canonical form's tokenizer tells whether a text has
 * one of them where it reads a separator (`CanonicalText.triggered`), and a text without any holds
 * none of the patterns, so their scan is skipped. `undefined` when some pattern has no such
 * character (every text is then scanned).
 */
function triggerUnits(patterns: readonly string[]): Uint8Array | undefined {
  if (patterns.length === 0) return undefined;
  const table = new Uint8Array(0x10000);
  for (const pattern of patterns) {
    let trigger = -1;
    for (const ch of pattern) {
      const cp = ch.codePointAt(0)!;
      if (cp !== SPACE && isSeparator(cp)) {
        trigger = ch.charCodeAt(0);
        break;
      }
    }
    if (trigger === -1) return undefined;
    table[trigger] = 1;
  }
  return table;
}

function lastCodePoint(s: string): number {
  const c = s.charCodeAt(s.length - 1);
  return c >= 0xdc00 && c <= 0xdfff && s.length > 1 ? s.codePointAt(s.length - 2)! : c;
}

function alnumOnly(s: string): string {
  let out = "";
  for (const ch of s) if (!isSeparator(ch.codePointAt(0)!)) out += ch;
  return out;
}

function orderFindings(findings: InjectionFinding[]): InjectionFinding[] {
  return sortWithoutRepeats(
    findings,
    (x, y) => x.start - y.start || y.end - x.end || (x.rule < y.rule ? -1 : x.rule > y.rule ? 1 : 0),
    (prev, f) => prev.start === f.start && prev.end === f.end && prev.rule === f.rule,
  );
}

function splitOrigin(origin: string): [string, number] {
  const at = origin.lastIndexOf(":");
  return [origin.slice(0, at), Number(origin.slice(at + 1))];
}
