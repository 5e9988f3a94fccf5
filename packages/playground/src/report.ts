/**
 * What the explain endpoint (`POST /api/playground/explain`) answers: the contract between the
 * moderation service, which builds it by running the real policy, and the page, which shows it.
 */

/** One finding of one engine in one text: the span of the original text and what caught it. */
export interface ExplainFinding {
  /** UTF-16 offsets of the original text, `[start, end)`. */
  start: number;
  end: number;
  engine: string;
  /** The list term, or the engine's rule name. */
  label: string;
  /** Keyword findings: the list folds the match needed (`pinyin`, `chinese+repeats`); absent when the term stands as written. */
  fold?: string;
  /** The finding's category (docs/categories.md). */
  category: string;
  /** What the policy does with a finding of this category at this point: block, mask, shadow or pass. */
  action: string;
  /** The engine's categories for this text. */
  categories: string[];
  /** What the finding revealed or how it matched (the decoded hidden text of an injection). */
  detail?: string;
}

/** A category an engine flagged in the call, and what the policy does with it at this point. */
export interface ExplainCategory {
  category: string;
  action: string;
}

/** One judged text of the call: where it came from, its findings, and the text with them masked. */
export interface ExplainText {
  /** `query`, `inputs.<name>`, `inputs.<name>[i]` or `text`. */
  source: string;
  text: string;
  flagged: boolean;
  findings: ExplainFinding[];
  /** The text with the findings of `block` and `mask` categories masked (what masking makes of it). */
  masked: string;
}

/** One engine's run: its time, and whether it flagged or could not judge. */
export interface ExplainEngineRun {
  engine: string;
  ms: number;
  flagged: boolean;
  categories: string[];
  /** The engine's own names for what flagged (keyword list names, OpenAI's categories). */
  rules?: string[];
  /** Why it could not judge. */
  error?: string;
}

/** A list an engine has loaded. */
export interface ExplainList {
  engine: string;
  name: string;
  kind: "block" | "allow";
  terms: number;
  match?: string;
  /** A keyword list's folds (`chinese`, `pinyin`, …), when it has any. */
  folds?: string[];
  /** The category of a block list's findings. */
  category?: string;
  /** When the engine's lists were loaded or last reloaded (ISO 8601). */
  loadedAt?: string;
}

/** One moderation call explained. */
export interface ExplainCall {
  point: "app.moderation.input" | "app.moderation.output";
  /** The `app_id` sent, as Dify sends it; `null` when none. */
  appId: string | null;
  /** Exactly the reply Dify would get. */
  reply: Record<string, unknown>;
  /** `pass`, `block`, `mask` or `shadow`. */
  verdict: string;
  /** The policy's action at this point for categories without a rule of their own. */
  action: string;
  /** Every category the engines flagged, in the order found, with the action it gets. */
  categories: ExplainCategory[];
  texts: ExplainText[];
  /** The engines in the order they ran; engines after a block did not run. */
  engines: ExplainEngineRun[];
}

/** One call of a streamed replay. */
export interface StreamedCall {
  /** 1-based. */
  call: number;
  /** Characters of the answer this call carried (the answer so far). */
  chars: number;
  /**
   * Whether the call was replayed: with an engine that judges whole texts only, some are not
   * (see {@link StreamReplay.sparse}); a call not replayed shows `flagged: false`, `action: null`.
   */
  replayed: boolean;
  flagged: boolean;
  /** The reply's action (`direct_output`, `overridden`, or none when it passed). */
  action: string | null;
  final: boolean;
}

/** A streamed replay: Dify's calls as the answer grows, and the first that was flagged. */
export interface StreamReplay {
  bufferSize: number;
  calls: StreamedCall[];
  /** 1-based; `null` when no call was flagged. */
  firstFlaggedCall: number | null;
  /** Why only some calls were replayed (an engine judges whole texts only); absent when all were. */
  sparse?: string;
}

/**
 * The service cannot fully moderate: an engine cannot judge (no API key, no model server), and the
 * failure policy answers for it. The page shows it as a banner over the result.
 */
export interface NotModerating {
  /** `no`: no engine can judge; `partly`: some can. */
  moderating: "partly" | "no";
  /** Which engines cannot judge, why, and what the failure policy makes of every call. */
  reason: string;
}

/** The explain endpoint's answer. */
export interface ExplainReport extends ExplainCall {
  /** Present when the service cannot fully moderate (also what `GET /readyz` says). */
  notModerating?: NotModerating;
  mode: "single" | "streamed";
  /** With mode `streamed`; the rest of the report explains the final call (the whole answer). */
  stream?: StreamReplay;
  /** The lists and allow-lists the engines have loaded. */
  lists: ExplainList[];
}
