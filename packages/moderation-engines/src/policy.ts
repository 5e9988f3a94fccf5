import {
  inputBlock,
  inputOverride,
  inputPass,
  type ModerationInputParams,
  type ModerationInputReply,
  type ModerationOutputParams,
  type ModerationOutputReply,
  outputBlock,
  outputOverride,
  outputPass,
} from "@dify-ext/protocol";
import {
  EngineUnavailableError,
  type IncrementalJudgement,
  type ModerationEngine,
  type ModerationPoint,
  type TextVerdict,
} from "./engine.ts";
import { type MaskSpan, maskSpans } from "./mask.ts";
import type { StreamCache, StreamPrior } from "./stream-cache.ts";

/** What to do with flagged text at one point. */
export type PolicyAction = "block" | "mask";

/** What to do when an engine cannot judge: let the text through (`open`) or block it (`closed`). */
export type FailurePolicy = "open" | "closed";

/**
 * `enforce` answers Dify with the verdict; `shadow` judges, records and counts as usual but always
 * answers "not flagged", so a new list can be watched before it blocks anyone.
 */
export type PolicyMode = "enforce" | "shadow";

/** Most list terms one verdict record carries (a text can match thousands). */
export const RECORDED_TERMS_LIMIT = 20;

export interface PointPolicy {
  /** `block` answers `direct_output` with the preset response; `mask` answers `overridden`. */
  action: PolicyAction;
  /** The answer Dify shows instead of a blocked message or answer. */
  presetResponse: string;
  /** Applied when an engine fails (upstream down, timeout, garbage). */
  onEngineError: FailurePolicy;
}

/** The few logger calls the policy makes (pino's logger fits). */
export interface PolicyLogger {
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** A character `String.prototype.trim` keeps (`\s` is the same set trim removes): a text without one is blank. */
const NOT_BLANK = /\S/;

/** The character each masked character becomes unless the options say otherwise. */
export const DEFAULT_MASK_CHARACTER = "*";

export interface ModerationPolicyOptions {
  /** Engines in the order they run; put cheap local engines before upstream ones. */
  engines: readonly ModerationEngine[];
  input: PointPolicy;
  output: PointPolicy;
  /** The character each masked character becomes (default {@link DEFAULT_MASK_CHARACTER}). */
  maskCharacter?: string;
  /** `enforce` (default) or `shadow`: judge and record, but answer "not flagged". */
  mode?: PolicyMode;
  /**
   * Saved judgements of recent output texts (`createStreamCache`). When an output call's text
   * extends one judged recently for the same app, engines with an `incremental` judge rescan only
   * its end; the others judge the whole text. Without it every call is judged whole. Give each
   * policy its own cache, or share one only among policies that never serve the same app id.
   */
  streamCache?: StreamCache;
}

/**
 * What one call's verdict was, for the audit trail: no user text, only what the engines matched
 * (list terms, categories). `verdict` is what the policy decided; in `shadow` mode Dify was told
 * "not flagged" whatever it says.
 */
export interface VerdictRecord {
  point: ModerationPoint;
  verdict: "pass" | "block" | "mask";
  mode: PolicyMode;
  /** Why a call was blocked other than by a match: no span to mask, or an engine failed (`closed`). */
  reason?: "unmaskable" | "engine-error";
  /** The engines that flagged (or the one that failed, for `engine-error`). */
  engines: string[];
  /** The list terms (or rule names) that matched, each once, at most {@link RECORDED_TERMS_LIMIT}. */
  terms: string[];
  /** The categories that caused the flag (OpenAI's, for example). */
  categories: string[];
}

/** One engine's run within a call, as {@link PolicyTrace} reports it. */
export interface EngineRun {
  engine: string;
  /** Time the engine took, in milliseconds. */
  ms: number;
  /** Its verdicts, one per text (absent when it failed). */
  verdicts?: TextVerdict[];
  /** Why it could not judge (absent when it judged). */
  error?: string;
}

/**
 * What the policy did in one call, for explaining a verdict (the playground): the texts it judged,
 * where each came from (`query`, `inputs.<name>`, `inputs.<name>[i]`, `text`), and each engine it
 * ran, in order. Engines the policy did not run (after a block) are absent.
 */
export interface PolicyTrace {
  point: ModerationPoint;
  action: PolicyAction;
  maskCharacter: string;
  texts: readonly string[];
  sources: readonly string[];
  runs: EngineRun[];
}

/** Per-call options: where to log, fields for the request's log line, who hears the verdict, who wants a trace. */
export interface PolicyCallContext {
  logger?: PolicyLogger;
  logFields?: Record<string, unknown>;
  /** Told every call's verdict (passes included), after it is decided and before the reply. */
  onVerdict?: (record: VerdictRecord) => void;
  /** Called once per call with what the policy did, when given (the explain endpoint gives it). */
  trace?: (trace: PolicyTrace) => void;
  /**
   * Saved judgements for this call's output text instead of the policy's own `streamCache` (the
   * playground's replay of a streamed answer keeps its own, so it is judged incrementally whatever
   * the service's cache holds or is set to, and leaves that cache alone).
   */
  streamCache?: StreamCache;
}

export interface ModerationPolicy {
  moderateInput(params: ModerationInputParams, context?: PolicyCallContext): Promise<ModerationInputReply>;
  moderateOutput(params: ModerationOutputParams, context?: PolicyCallContext): Promise<ModerationOutputReply>;
}

/** Where a judged text came from in the request, so a masked text goes back to the same place. */
type TextSource =
  | { kind: "query" }
  | { kind: "input"; name: string }
  | { kind: "list-item"; name: string; list: readonly unknown[]; index: number };

type Outcome =
  | { verdict: "pass"; engines: string[] }
  | { verdict: "block"; engines: string[]; reason: "flagged" | "unmaskable" | "engine-error" }
  | { verdict: "mask"; engines: string[]; spans: MaskSpan[][] };

/** The judgements of one output text: the cached ones it extends, and the new ones. */
interface StreamJudging {
  prior: StreamPrior | undefined;
  judgements: Array<IncrementalJudgement | undefined>;
}

/** What the engines matched in one call, gathered as they run. */
interface Matched {
  terms: Set<string>;
  categories: Set<string>;
}

/** Where a text came from, as the trace names it. */
function sourceName(source: TextSource): string {
  if (source.kind === "query") return "query";
  if (source.kind === "input") return `inputs.${source.name}`;
  return `inputs.${source.name}[${source.index}]`;
}

/**
 * Collects the text of an input moderation call: the query, every string input, and strings
 * directly inside list inputs. Objects (such as Dify's file variables), numbers and booleans are
 * not text and are never judged or changed.
 */
export function collectInputTexts(params: Pick<ModerationInputParams, "inputs" | "query">): {
  texts: string[];
  sources: TextSource[];
} {
  const texts: string[] = [];
  const sources: TextSource[] = [];
  if (params.query.trim() !== "") {
    texts.push(params.query);
    sources.push({ kind: "query" });
  }
  for (const [name, value] of Object.entries(params.inputs)) {
    if (typeof value === "string") {
      if (value.trim() === "") continue;
      texts.push(value);
      sources.push({ kind: "input", name });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        if (typeof item === "string" && item.trim() !== "") {
          texts.push(item);
          sources.push({ kind: "list-item", name, list: value, index });
        }
      });
    }
  }
  return { texts, sources };
}

const PASS: Outcome = { verdict: "pass", engines: [] };

/**
 * Builds the policy layer: runs the engines in order on the texts of a Dify call and turns their
 * findings into Dify's reply.
 *
 * - Nothing flagged by any engine → the text passes unchanged.
 * - `block` → the first engine that flags stops the run; `direct_output` with the preset response.
 * - `mask` → every engine runs; the spans of all engines are merged and masked; `overridden` carries
 *   every input back (masked or not) and the full query. A flagged text without spans (e.g. from
 *   OpenAI, which judges whole texts) cannot be masked, so the call is blocked instead.
 * - An engine that fails is skipped (`open`, logged as a warning) or blocks the call (`closed`).
 * - Output moderation never flags the service's own preset responses: after a `direct_output`, Dify
 *   may send the preset response itself for output moderation.
 */
export function createModerationPolicy(options: ModerationPolicyOptions): ModerationPolicy {
  if (options.engines.length === 0) throw new RangeError("the moderation policy needs at least one engine");
  const maskCharacter = options.maskCharacter ?? DEFAULT_MASK_CHARACTER;
  if ([...maskCharacter].length !== 1) throw new RangeError("the mask character must be exactly one character");
  for (const point of ["input", "output"] as const) {
    if (options[point].presetResponse.trim() === "") {
      throw new RangeError(`the ${point} preset response must not be empty: Dify would show an empty answer`);
    }
  }
  const ownResponses = new Set([options.input.presetResponse, options.output.presetResponse]);
  const mode: PolicyMode = options.mode ?? "enforce";
  if (mode !== "enforce" && mode !== "shadow") throw new RangeError(`unknown policy mode "${String(mode)}"`);

  /** One text's verdict from an incremental engine: the cached one, extended, or judged whole. */
  function judgeIncrementally(engine: ModerationEngine, index: number, text: string, stream: StreamJudging) {
    const incremental = engine.incremental!;
    const before = stream.prior?.judgements[index];
    let judgement: IncrementalJudgement | undefined;
    if (before) judgement = stream.prior!.length === text.length ? before : incremental.extend(before, text);
    judgement ??= incremental.judge(text);
    stream.judgements[index] = judgement;
    return [judgement.verdict];
  }

  async function judge(
    texts: string[],
    point: ModerationPoint,
    context: PolicyCallContext,
    matched: Matched,
    runs: EngineRun[] | undefined,
    stream?: StreamJudging,
  ): Promise<Outcome> {
    const policy = options[point];
    const spans: MaskSpan[][] = texts.map(() => []);
    const flaggedBy: string[] = [];
    for (const [index, engine] of options.engines.entries()) {
      let verdicts: Awaited<ReturnType<ModerationEngine["moderate"]>>;
      const started = runs ? performance.now() : 0;
      try {
        verdicts =
          stream && engine.incremental && texts.length === 1
            ? judgeIncrementally(engine, index, texts[0]!, stream)
            : await engine.moderate(texts, { point });
        if (verdicts.length !== texts.length) {
          throw new Error(`engine returned ${verdicts.length} verdicts for ${texts.length} texts`);
        }
        runs?.push({ engine: engine.name, ms: performance.now() - started, verdicts });
      } catch (error) {
        runs?.push({
          engine: engine.name,
          ms: performance.now() - started,
          error: error instanceof EngineUnavailableError ? error.message : "the engine failed (see the log)",
        });
        const fields = {
          engine: engine.name,
          point,
          policy: policy.onEngineError,
          err: error instanceof EngineUnavailableError ? error.message : error,
        };
        if (error instanceof EngineUnavailableError)
          context.logger?.warn(fields, "engine unavailable; applying failure policy");
        else context.logger?.error(fields, "engine failed; applying failure policy");
        if (context.logFields) context.logFields.engineError = engine.name;
        if (policy.onEngineError === "closed")
          return { verdict: "block", engines: [engine.name], reason: "engine-error" };
        continue;
      }
      let flagged = false;
      let unmaskable = false;
      verdicts.forEach((verdict, index) => {
        if (!verdict.flagged) return;
        flagged = true;
        if (verdict.findings.length === 0) unmaskable = true;
        // A loop, not push(...findings): a text can hold more matches than a call can take arguments.
        const found = spans[index]!;
        for (const finding of verdict.findings) {
          found.push(finding);
          if (matched.terms.size < RECORDED_TERMS_LIMIT) matched.terms.add(finding.label);
        }
        for (const category of verdict.categories) matched.categories.add(category);
        if (context.logFields && verdict.categories.length > 0) {
          const categories = (context.logFields.categories as string[] | undefined) ?? [];
          for (const category of verdict.categories) if (!categories.includes(category)) categories.push(category);
          context.logFields.categories = categories;
        }
      });
      if (!flagged) continue;
      flaggedBy.push(engine.name);
      if (policy.action === "block") return { verdict: "block", engines: flaggedBy, reason: "flagged" };
      if (unmaskable) return { verdict: "block", engines: flaggedBy, reason: "unmaskable" };
    }
    if (flaggedBy.length === 0) return { verdict: "pass", engines: [] };
    return { verdict: "mask", engines: flaggedBy, spans };
  }

  /**
   * Records the outcome (log fields, the verdict record) and says what Dify is told: in shadow
   * mode every call passes.
   */
  function note(
    context: PolicyCallContext,
    point: ModerationPoint,
    outcome: Outcome,
    matched?: Matched,
  ): Outcome | { verdict: "pass" } {
    const reason = outcome.verdict === "block" && outcome.reason !== "flagged" ? outcome.reason : undefined;
    if (context.logFields) {
      context.logFields.verdict = outcome.verdict;
      if (outcome.engines.length > 0) context.logFields.engine = outcome.engines.join(",");
      if (reason) context.logFields.reason = reason;
      if (mode === "shadow") context.logFields.mode = mode;
    }
    context.onVerdict?.({
      point,
      verdict: outcome.verdict,
      mode,
      ...(reason && { reason }),
      engines: outcome.engines,
      terms: matched ? [...matched.terms] : [],
      categories: matched ? [...matched.categories] : [],
    });
    return mode === "shadow" ? { verdict: "pass" } : outcome;
  }

  const nothingMatched = (): Matched => ({ terms: new Set(), categories: new Set() });

  /**
   * Runs the engines (none for no text), and reports the trace when the caller asked for one. A
   * call without a trace goes straight to `judge`: no extra promise on the path Dify's calls take.
   */
  function judgeAndTrace(
    texts: string[],
    sources: () => readonly string[],
    point: ModerationPoint,
    context: PolicyCallContext,
    matched: Matched,
    stream?: StreamJudging,
  ): Outcome | Promise<Outcome> {
    const { trace } = context;
    if (!trace) return texts.length === 0 ? PASS : judge(texts, point, context, matched, undefined, stream);
    const runs: EngineRun[] = [];
    const report = () =>
      trace({ point, action: options[point].action, maskCharacter, texts, sources: sources(), runs });
    if (texts.length === 0) {
      report();
      return PASS;
    }
    return judge(texts, point, context, matched, runs, stream).finally(report);
  }

  return {
    async moderateInput(params, context = {}) {
      const { texts, sources } = collectInputTexts(params);
      const matched = nothingMatched();
      const judged = await judgeAndTrace(texts, () => sources.map(sourceName), "input", context, matched);
      const outcome = note(context, "input", judged, matched);
      if (outcome.verdict === "pass") return inputPass();
      if (outcome.verdict === "block") return inputBlock(options.input.presetResponse);

      // A Map, not an object: input names such as `constructor` or `__proto__` are ordinary keys here.
      const changedInputs = new Map<string, unknown>();
      let query = params.query;
      sources.forEach((source, index) => {
        const found = outcome.spans[index]!;
        if (found.length === 0) return;
        const masked = maskSpans(texts[index]!, found, maskCharacter);
        if (source.kind === "query") query = masked;
        else if (source.kind === "input") changedInputs.set(source.name, masked);
        else {
          const list = (changedInputs.get(source.name) as unknown[] | undefined) ?? [...source.list];
          list[source.index] = masked;
          changedInputs.set(source.name, list);
        }
      });
      return inputOverride(params, { inputs: Object.fromEntries(changedInputs), query });
    },

    async moderateOutput(params, context = {}) {
      // A regular expression, not trim(): Dify re-sends long answers, and trim() may copy them.
      const skip = !NOT_BLANK.test(params.text) || ownResponses.has(params.text);
      const matched = nothingMatched();
      const texts = skip ? [] : [params.text];
      // Without an app id (older Dify, hand-made calls) answers of all apps share the key's first part.
      const appId = params.app_id ?? "";
      const streamCache = context.streamCache ?? options.streamCache;
      let stream: StreamJudging | undefined;
      if (streamCache && !skip) {
        // A promise only when a shared store is asked (SHARED_STATE_URL); its wait is bounded.
        const found = streamCache.lookup(appId, "output", params.text, options.engines);
        stream = { prior: found instanceof Promise ? await found : found, judgements: [] };
      }
      let judged: Outcome;
      try {
        judged = await judgeAndTrace(texts, () => (skip ? [] : ["text"]), "output", context, matched, stream);
      } finally {
        if (stream?.judgements.some((judgement) => judgement !== undefined)) {
          streamCache!.store(
            appId,
            "output",
            { text: params.text, judgements: stream.judgements },
            { prior: stream.prior, engines: options.engines },
          );
        }
      }
      const outcome = note(context, "output", judged, matched);
      if (outcome.verdict === "pass") return outputPass();
      if (outcome.verdict === "block") return outputBlock(options.output.presetResponse);
      return outputOverride(maskSpans(params.text, outcome.spans[0]!, maskCharacter));
    },
  };
}
