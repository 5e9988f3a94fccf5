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
}

/** An engine's judgement of one text. */
export interface TextVerdict {
  flagged: boolean;
  /**
   * Spans of the original text that caused the flag, for masking. Engines that judge whole texts
   * (OpenAI) return none; a flagged verdict without findings cannot be masked and is blocked.
   */
  findings: Finding[];
  /** Categories that caused the flag (e.g. OpenAI's `violence`), for logs and metrics. */
  categories: string[];
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
}

/** A list an engine loaded (a keyword list, an allow-list), for the playground. */
export interface LoadedList {
  name: string;
  kind: "block" | "allow";
  /** Terms in use. */
  terms: number;
  /** How its terms match (`word`, `substring`), where that applies. */
  match?: string;
}

/** What an engine has loaded, as it describes itself to an operator (`GET`-free: no text in it). */
export interface EngineDescription {
  engine: string;
  lists: LoadedList[];
  /** When the lists in use were loaded or last reloaded (ISO 8601). */
  loadedAt?: string;
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
