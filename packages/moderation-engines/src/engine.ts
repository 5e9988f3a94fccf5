/** A range of a text in UTF-16 code units, `[start, end)`, as JavaScript string indexes count. */
export interface Span {
  start: number;
  end: number;
}

/** A located finding: which part of the original text matched, and what it matched. */
export interface Finding extends Span {
  /** What matched: the list term, or the engine's rule name (the operator's words, not the user's: the audit trail logs it). */
  label: string;
  /**
   * What masking writes instead of the span (a type label such as `[EMAIL]`). Unset: every
   * character becomes the policy's mask character.
   */
  replacement?: string;
  /**
   * What the finding revealed or how it matched, for a person reading the playground (the decoded
   * hidden text of an injection). Never logged: it may hold the user's words.
   */
  detail?: string;
  /**
   * Keyword findings only: the list folds the match needed (`pinyin`, `chinese+repeats`); unset
   * when the text holds the term as written.
   */
  fold?: string;
  /**
   * The finding's category from the vocabulary (`categories.ts`), which per-category actions key
   * on. Unset: the verdict's first category, or `other`.
   */
  category?: string;
}

/** An engine's judgement of one text. */
export interface TextVerdict {
  flagged: boolean;
  /**
   * Spans of the original text that caused the flag, for masking. Engines that judge whole texts
   * (OpenAI) return none; a flagged verdict without findings cannot be masked and is blocked.
   */
  findings: Finding[];
  /**
   * Categories that caused the flag, from the one vocabulary (`categories.ts`: `hate`, `pii.email`,
   * …), each once; for logs, metrics, per-category actions and reply templates.
   */
  categories: string[];
  /**
   * The engine's own names for what flagged, each once: keyword list names, OpenAI's categories
   * (`harassment/threatening`), a guard model's ids (`S10`), pii types. For the audit trail.
   */
  rules?: string[];
}

/** Which of Dify's moderation points a text comes from. */
export type ModerationPoint = "input" | "output";

export interface ModerateContext {
  point: ModerationPoint;
  /** Aborted when the caller no longer needs the answer. */
  signal?: AbortSignal;
}

/**
 * The interface every moderation backend implements. Engines know nothing of HTTP or Dify's
 * replies: texts in, one verdict per text out, in the same order.
 */
export interface ModerationEngine {
  /** Short stable name used in config, logs and metrics (`keywords`, `obscenity`, `openai`). */
  readonly name: string;
  /**
   * Judges every text. All texts of one Dify request come in one call, so an engine backed by an
   * upstream API can judge them in one upstream request. Rejects with `EngineUnavailableError`
   * when it cannot judge (upstream down); the policy layer then applies the failure policy.
   */
  moderate(texts: readonly string[], context: ModerateContext): Promise<TextVerdict[]>;
  /** What it has loaded (lists and their term counts, when), for the playground; engines without lists omit it. */
  describe?(): EngineDescription;
  /**
   * Optional: the engine can judge a text that extends a text it judged before by looking only at
   * the end (see {@link IncrementalJudge}). Engines whose verdict depends on the whole text (OpenAI)
   * leave it out and are always given the whole text.
   */
  readonly incremental?: IncrementalJudge;
}

/** A list an engine loaded (a keyword list, an allow-list), for the playground. */
export interface LoadedList {
  name: string;
  kind: "block" | "allow";
  /** Terms in use. */
  terms: number;
  /** How its terms match (`word`, `substring`), where that applies. */
  match?: string;
  /** The keyword list's folds (`chinese`, `pinyin`, …), when it has any. */
  folds?: string[];
  /** The category of its findings (docs/categories.md), for a block list. */
  category?: string;
}

/** What an engine has loaded, as it describes itself to an operator (`GET`-free: no text in it). */
export interface EngineDescription {
  engine: string;
  lists: LoadedList[];
  /** When the lists in use were loaded or last reloaded (ISO 8601). */
  loadedAt?: string;
}

/**
 * What an engine with local findings (each finding depends only on text near it: keywords,
 * obscenity) offers for streamed answers, where Dify sends the whole answer so far again and again.
 * The policy keeps the judgements in a bounded cache (`createStreamCache`) and, when a text extends
 * a cached one, asks the engine to `extend` instead of judging the whole text again.
 *
 * Contract: `extend(judge(prefix), text).verdict` is exactly `judge(text).verdict` (flag, spans,
 * labels, categories, order) for every `text` that starts with `prefix`; and `judge(text).verdict`
 * is exactly what `moderate([text])` answers. An engine that cannot keep it for some state (the
 * list changed, the reach of a match is unbounded) returns `undefined` and is given the whole text.
 */
export interface IncrementalJudge {
  /** Judges `text` whole; the result carries what `extend` needs later. */
  judge(text: string): IncrementalJudgement;
  /**
   * Judges `text`, which starts with the text `prior` judged (and is longer), rescanning only its
   * end. `undefined` when the engine cannot do it soundly from this state: judge the whole text.
   */
  extend(prior: IncrementalJudgement, text: string): IncrementalJudgement | undefined;
  /**
   * Optional: judgements as strings, so that another replica can extend them (SHARED_STATE_URL).
   * Without it the engine's judgements stay in the process that made them.
   */
  readonly codec?: JudgementCodec;
}

/**
 * Writes an engine's judgements as compact strings and reads them back. A string says which
 * format it is in and which lists or settings made it; `decode` refuses (answers `undefined`)
 * anything it did not write with the lists and settings the engine has now, or that does not hold
 * together (a span outside the text, an index out of range): a stale or foreign state is never
 * used, and the text is then judged whole. Which text a state belongs to is checked by the caller
 * (the stream cache compares a hash of the text it judged with the text at hand).
 */
export interface JudgementCodec {
  /** The judgement as a string; `undefined` when it cannot be shared (a list reloaded since, too large). */
  encode(judgement: IncrementalJudgement): string | undefined;
  /**
   * The judgement `encoded` holds, if this engine wrote it with its current lists and settings for
   * a text of `length` code units; otherwise `undefined`. Never throws.
   */
  decode(encoded: string, length: number): IncrementalJudgement | undefined;
}

/** An engine's judgement of one text, with the state it needs to extend it. */
export interface IncrementalJudgement {
  readonly verdict: TextVerdict;
  /** The engine's own state (opaque to callers). */
  readonly state: unknown;
  /** Approximate bytes the verdict and state hold, for the cache's size limit. */
  readonly bytes: number;
}

/** The engine could not reach a verdict (upstream timeout, error, malformed reply). */
export class EngineUnavailableError extends Error {
  override readonly name = "EngineUnavailableError";
  constructor(
    readonly engine: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A verdict that flags nothing. */
export function cleanVerdict(): TextVerdict {
  return { flagged: false, findings: [], categories: [] };
}

/**
 * What engines with an upstream report for metrics: each upstream call and each cache lookup.
 * (Structurally the server package's `UpstreamEvent`, so a Prometheus observer can take it as is.)
 */
export type UpstreamEvent =
  | { kind: "call"; upstream: string; outcome: "ok" | "error" | "timeout"; seconds?: number }
  | { kind: "cache"; cache: string; hit: boolean };
