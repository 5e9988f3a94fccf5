/**
 * Moderation engine backed by the `obscenity` package: its English profanity dataset and its
 * recommended transformers (confusable and full-width letters, leetspeak, case, repeated
 * letters), plus operator-supplied extra terms and allowed terms. Judging is synchronous and
 * local; findings are UTF-16 spans of the original text, so matches can be masked.
 *
 * See docs/engine-obscenity.md for what it catches and what it misses.
 */
import {
  DataSet,
  englishDataset,
  englishRecommendedTransformers,
  type MatchPayload,
  parseRawPattern,
  RegExpMatcher,
  type TransformerContainer,
} from "obscenity";
import type {
  Finding,
  IncrementalJudgement,
  JudgementCodec,
  LoadedList,
  ModerateContext,
  ModerationEngine,
  TextVerdict,
} from "../engine.ts";
import { decodeFindings, encodeFindings, fingerprint } from "../shared.ts";
import { createObscenityPrefilter, type ObscenityPrefilter } from "./prefilter.ts";

/**
 * The format tag of a shared obscenity state. Bump it when an upgrade of `obscenity` or a change
 * here can change what is found (its dataset's patterns are in the identity already).
 */
const OBSCENITY_STATE = "o1";

export interface ObscenityEngineOptions {
  /**
   * Terms to flag in addition to the English dataset. A plain term matches as a whole word
   * (`scam` flags "scam" but not "scampi"); a `*` at the start and/or end lets it match inside a
   * word (`scam*` also flags "scammer", `*scam*` flags it anywhere). Terms are normalised like
   * the text (case, leetspeak, confusables, repeated letters), so `Sc4m` and `scam` are the same
   * term and both catch "SCAAAM".
   */
  extraTerms?: readonly string[];
  /**
   * Phrases in which a match is ignored (obscenity's whitelisted terms), e.g. `penistone`. A
   * match is suppressed when an allowed phrase found in the text covers it entirely. Compared
   * ASCII-case-insensitively against the raw text, with runs of spaces collapsed; no leetspeak
   * or confusable folding, so `p3nistone` is still flagged.
   */
  allowTerms?: readonly string[];
}

/** The category of every finding, the dataset's and `extraTerms`' (docs/categories.md). */
export const PROFANITY_CATEGORY = "profanity";
/** The engine's rule of findings from the built-in English dataset, for the audit trail. */
export const DATASET_RULE = "profanity";
/** The engine's rule of findings from `extraTerms`. */
export const EXTRA_TERM_RULE = "extra-term";

/** An unusable extra or allowed term, with the option it came from and its position there. */
export class ObscenityTermError extends Error {
  override readonly name = "ObscenityTermError";
  constructor(
    /** The option holding the bad term. */
    readonly option: "extraTerms" | "allowTerms",
    /** The term's position in that option, from 0. */
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

interface PhraseMetadata {
  originalWord: string;
  extra?: boolean;
}

const blacklistTransformers: TransformerContainer[] = englishRecommendedTransformers.blacklistMatcherTransformers ?? [];

/**
 * Creates the `obscenity` engine. Throws an {@link ObscenityTermError} at construction (never per
 * call) on an empty or unusable extra or allowed term, naming it.
 */
export function createObscenityEngine(
  options: ObscenityEngineOptions = {},
  tuning: ObscenityTuning = {},
): ModerationEngine {
  return build(options, tuning.prefilter ?? true);
}

/** Switches that change how the engine works, never what it finds. */
export interface ObscenityTuning {
  /**
   * Skip the library's matcher on texts the prefilter proves clean (default `true`). Verdicts are
   * the same either way; `false` is there to compare.
   */
  prefilter?: boolean;
}

/** A finding and whether it came from `extraTerms` (for its category). */
interface ObscenityFinding extends Finding {
  extra: boolean;
}

/** What the engine keeps to extend a judgement. */
interface ObscenityState {
  /** The matcher that found `found`: another engine's (other terms) cannot be extended. */
  matcher: RegExpMatcher;
  length: number;
  found: ObscenityFinding[];
}

function build(options: ObscenityEngineOptions, prefiltered: boolean): ModerationEngine {
  const dataset = new DataSet<PhraseMetadata>().addAll(englishDataset);
  (options.extraTerms ?? []).forEach((term, index) => {
    const parsed = parseExtraTerm(term, index);
    dataset.addPhrase((phrase) => phrase.setMetadata({ originalWord: term.trim(), extra: true }).addPattern(parsed));
  });
  const built = dataset.build();
  const allowTerms = (options.allowTerms ?? []).map((term, index) => normaliseAllowTerm(term, index));
  const matcher = new RegExpMatcher({
    ...built,
    whitelistedTerms: [...(built.whitelistedTerms ?? []), ...allowTerms],
    ...englishRecommendedTransformers,
  });

  const prefilter: ObscenityPrefilter = createObscenityPrefilter({
    patterns: built.blacklistedTerms.map((term) => term.pattern),
    allowed: [...(built.whitelistedTerms ?? []), ...allowTerms],
    blacklistTransformers,
    whitelistTransformers: englishRecommendedTransformers.whitelistMatcherTransformers ?? [],
  });

  const find = (text: string): ObscenityFinding[] => {
    if (typeof text !== "string" || text.length === 0) return [];
    // The prefilter proves most ordinary texts clean without running the library's matcher.
    if (prefiltered && !prefilter.mayMatch(text)) return [];
    const findings: ObscenityFinding[] = [];
    const seen = new Set<string>();
    for (const match of matcher.getAllMatches(text, true)) {
      const metadata = dataset.getPayloadWithPhraseMetadata(match).phraseMetadata;
      const label = metadata?.originalWord ?? "profanity";
      const span = spanOf(text, match);
      // Several patterns of one phrase can match the same characters (`|shit` and `shit|`).
      const key = `${span.start}:${span.end}:${label}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({ ...span, label, extra: metadata?.extra === true });
    }
    return findings;
  };
  const judgement = (length: number, found: ObscenityFinding[]): IncrementalJudgement => {
    const state: ObscenityState = { matcher, length, found };
    return { verdict: verdictOf(found), state, bytes: 64 + 96 * found.length };
  };
  // What a state depends on: the dataset's patterns and allowed phrases, the extra and allowed terms.
  const identity = fingerprint([
    OBSCENITY_STATE,
    built.blacklistedTerms,
    built.whitelistedTerms ?? [],
    options.extraTerms ?? [],
    allowTerms,
  ]);
  const codec: JudgementCodec = {
    encode: (prior) => {
      const state = prior.state as ObscenityState;
      return encodeFindings(OBSCENITY_STATE, identity, state.length, state.found, (f) => (f.extra ? "extra" : ""));
    },
    decode(encoded, length) {
      const found = decodeFindings(OBSCENITY_STATE, identity, length, encoded, (finding, tag) => ({
        ...finding,
        extra: tag === "extra",
      }));
      return found && judgement(length, found);
    },
  };

  const loadedAt = new Date().toISOString();
  const englishPatterns = englishDataset.build().blacklistedTerms.length;
  const lists: LoadedList[] = [{ name: "english dataset (patterns)", kind: "block", terms: englishPatterns }];
  if (options.extraTerms?.length) lists.push({ name: "extra terms", kind: "block", terms: options.extraTerms.length });
  if (allowTerms.length > 0) lists.push({ name: "allowed terms", kind: "allow", terms: allowTerms.length });

  return {
    name: "obscenity",
    describe: () => ({ engine: "obscenity", lists: lists.map((list) => ({ ...list })), loadedAt }),
    moderate(texts: readonly string[], _context: ModerateContext): Promise<TextVerdict[]> {
      return Promise.resolve(texts.map((text) => verdictOf(find(text))));
    },
    incremental: {
      judge: (text) => judgement(text.length, find(text)),
      extend(prior, text) {
        const state = prior.state as ObscenityState | null;
        // A judgement of another engine (other terms, or another kind): judge the text whole.
        if (state?.matcher !== matcher) return undefined;
        const cut = prefilter.restart(text, state.length);
        if (cut === undefined) return undefined;
        const found: ObscenityFinding[] = [];
        for (const finding of state.found) if (finding.start < cut.split) found.push(finding);
        for (const finding of find(text.slice(cut.from))) {
          const start = finding.start + cut.from;
          if (start >= cut.split) found.push({ ...finding, start, end: finding.end + cut.from });
        }
        return judgement(text.length, found);
      },
      codec,
    },
  };
}

function verdictOf(found: readonly ObscenityFinding[]): TextVerdict {
  if (found.length === 0) return { flagged: false, findings: [], categories: [] };
  const rules = new Set<string>();
  for (const finding of found) rules.add(finding.extra ? EXTRA_TERM_RULE : DATASET_RULE);
  return {
    flagged: true,
    findings: found.map(({ start, end, label }) => ({ start, end, label, category: PROFANITY_CATEGORY })),
    categories: [PROFANITY_CATEGORY],
    rules: [...rules],
  };
}

/**
 * Converts obscenity's match (start and inclusive end in UTF-16 code units of the original text,
 * the end already moved onto the low surrogate of an astral last character) into `[start, end)`.
 * obscenity's repeated-letter folding drops the repeats after the last matched letter
 * ("fuckkkk" matches "fuck"), so the span is extended over them to mask the whole word.
 */
function spanOf(text: string, match: MatchPayload): { start: number; end: number } {
  const start = match.startIndex;
  let end = match.endIndex + 1;
  const lastStart = end >= 2 && isLowSurrogate(text.charCodeAt(end - 1)) ? end - 2 : end - 1;
  const last = foldChar(text.codePointAt(lastStart) ?? 0);
  while (end < text.length) {
    const next = text.codePointAt(end) ?? 0;
    if (foldChar(next) !== last) break;
    end += next > 0xffff ? 2 : 1;
  }
  return { start, end };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The stateless part of the blacklist transformers: confusables, leetspeak, case. */
function foldChar(codePoint: number): number | undefined {
  let value: number | undefined = codePoint;
  for (const container of blacklistTransformers) {
    if (value === undefined) break;
    if ("transform" in container) value = container.transform(value);
  }
  return value;
}

/**
 * Runs a literal through the same transformers as the text, so a term matches what the matcher
 * sees (lower-case, leetspeak resolved, repeated letters collapsed).
 */
function normaliseLiteral(literal: string): string {
  const stateful = blacklistTransformers.map((container) => ("factory" in container ? container.factory() : undefined));
  let out = "";
  for (const char of literal) {
    let value: number | undefined = char.codePointAt(0);
    for (let i = 0; i < blacklistTransformers.length && value !== undefined; i++) {
      const container = blacklistTransformers[i]!;
      value = "transform" in container ? container.transform(value) : stateful[i]!.transform(value);
    }
    if (value !== undefined) out += String.fromCodePoint(value);
  }
  return out;
}

function parseExtraTerm(term: unknown, index: number) {
  if (typeof term !== "string")
    throw new ObscenityTermError("extraTerms", index, `obscenity extra term #${index + 1} is not a string`);
  let body = term.trim();
  const anyStart = body.startsWith("*");
  if (anyStart) body = body.slice(1);
  const anyEnd = body.endsWith("*");
  if (anyEnd) body = body.slice(0, -1);
  const literal = normaliseLiteral(body.trim());
  if (literal.trim().length === 0) {
    throw new ObscenityTermError("extraTerms", index, `obscenity extra term #${index + 1} ("${term}") is empty`);
  }
  const escaped = literal.replace(/[\\[\]?|]/g, (c) => `\\${c}`);
  // obscenity compiles `|` to `\b`, which only means "word edge" next to a word character.
  const boundaryAtStart = !anyStart && /^[a-z0-9]/.test(literal);
  const boundaryAtEnd = !anyEnd && /[a-z0-9]$/.test(literal);
  return parseRawPattern(`${boundaryAtStart ? "|" : ""}${escaped}${boundaryAtEnd ? "|" : ""}`);
}

function normaliseAllowTerm(term: unknown, index: number): string {
  if (typeof term !== "string")
    throw new ObscenityTermError("allowTerms", index, `obscenity allowed term #${index + 1} is not a string`);
  // The whitelist is matched against ASCII-lower-cased text with runs of spaces collapsed.
  const normalised = term
    .trim()
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/ {2,}/g, " ");
  if (normalised.length === 0)
    throw new ObscenityTermError("allowTerms", index, `obscenity allowed term #${index + 1} is empty`);
  return normalised;
}
