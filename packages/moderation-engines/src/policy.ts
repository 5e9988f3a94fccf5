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
  type Span,
} from "./engine.ts";
import { maskSpans } from "./mask.ts";
import type { StreamCache, StreamEntry } from "./stream-cache.ts";

/** What to do with flagged text at one point. */
export type PolicyAction = "block" | "mask";

/** What to do when an engine cannot judge: let the text through (`open`) or block it (`closed`). */
export type FailurePolicy = "open" | "closed";

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
  /**
   * Saved judgements of recent output texts (`createStreamCache`). When an output call's text
   * extends one judged recently for the same app, engines with an `incremental` judge rescan only
   * its end; the others judge the whole text. Without it every call is judged whole.
   */
  streamCache?: StreamCache;
}

/** Per-call options: where to log, and fields to add to the request's log line. */
export interface PolicyCallContext {
  logger?: PolicyLogger;
  logFields?: Record<string, unknown>;
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

/** The judgements of one output text: the cached ones it extends, and the new ones. */
interface StreamJudging {
  prior: StreamEntry | undefined;
  judgements: Array<IncrementalJudgement | undefined>;
}

type Outcome =
  | { verdict: "pass"; engines: string[] }
  | { verdict: "block"; engines: string[]; reason: "flagged" | "unmaskable" | "engine-error" }
  | { verdict: "mask"; engines: string[]; spans: Span[][] };

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

  const streamCache = options.streamCache;

  /** One text's verdict from an incremental engine: the cached one, extended, or judged whole. */
  function judgeIncrementally(engine: ModerationEngine, index: number, text: string, stream: StreamJudging) {
    const incremental = engine.incremental!;
    const before = stream.prior?.judgements[index];
    let judgement: IncrementalJudgement | undefined;
    if (before) judgement = stream.prior!.text === text ? before : incremental.extend(before, text);
    judgement ??= incremental.judge(text);
    stream.judgements[index] = judgement;
    return [judgement.verdict];
  }

  async function judge(
    texts: string[],
    point: ModerationPoint,
    context: PolicyCallContext,
    stream?: StreamJudging,
  ): Promise<Outcome> {
    const policy = options[point];
    const spans: Span[][] = texts.map(() => []);
    const flaggedBy: string[] = [];
    for (const [index, engine] of options.engines.entries()) {
      let verdicts: Awaited<ReturnType<ModerationEngine["moderate"]>>;
      try {
        verdicts =
          stream && engine.incremental && texts.length === 1
            ? judgeIncrementally(engine, index, texts[0]!, stream)
            : await engine.moderate(texts, { point });
        if (verdicts.length !== texts.length) {
          throw new Error(`engine returned ${verdicts.length} verdicts for ${texts.length} texts`);
        }
      } catch (error) {
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
        for (const finding of verdict.findings) found.push(finding);
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

  function note(context: PolicyCallContext, outcome: Outcome): void {
    if (!context.logFields) return;
    context.logFields.verdict = outcome.verdict;
    if (outcome.engines.length > 0) context.logFields.engine = outcome.engines.join(",");
    if (outcome.verdict === "block" && outcome.reason !== "flagged") context.logFields.reason = outcome.reason;
  }

  return {
    async moderateInput(params, context = {}) {
      const { texts, sources } = collectInputTexts(params);
      if (texts.length === 0) {
        note(context, { verdict: "pass", engines: [] });
        return inputPass();
      }
      const outcome = await judge(texts, "input", context);
      note(context, outcome);
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
      if (!NOT_BLANK.test(params.text) || ownResponses.has(params.text)) {
        note(context, { verdict: "pass", engines: [] });
        return outputPass();
      }
      // Without an app id (older Dify, hand-made calls) answers of all apps share the key's first part.
      const appId = params.app_id ?? "";
      const stream: StreamJudging | undefined = streamCache && {
        prior: streamCache.lookup(appId, "output", params.text),
        judgements: [],
      };
      let outcome: Outcome;
      try {
        outcome = await judge([params.text], "output", context, stream);
      } finally {
        if (stream?.judgements.some((judgement) => judgement !== undefined)) {
          streamCache!.store(appId, "output", { text: params.text, judgements: stream.judgements });
        }
      }
      note(context, outcome);
      if (outcome.verdict === "pass") return outputPass();
      if (outcome.verdict === "block") return outputBlock(options.output.presetResponse);
      return outputOverride(maskSpans(params.text, outcome.spans[0]!, maskCharacter));
    },
  };
}
