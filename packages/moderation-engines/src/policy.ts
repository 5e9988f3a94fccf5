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
import { LRUCache } from "lru-cache";
import { categoryAncestry, categoryProblem, OTHER_CATEGORY } from "./categories.ts";
import { type MaskSpan, maskSpans } from "./mask.ts";
import { compileReplyTemplate, type ReplyTemplate, type ReplyValues } from "./reply-template.ts";
import type { StreamCache, StreamPrior } from "./stream-cache.ts";

/** What to do with flagged text at one point (the environment's choice, MODERATION_*_ACTION). */
export type PolicyAction = "block" | "mask";

/**
 * What to do with a finding of one category: `block` the call, `mask` the finding, `shadow` (judge,
 * record, let through) or `pass` (as if nothing matched). When findings of several categories meet
 * in one call, the strongest wins: block, then mask, then shadow, then pass.
 */
export type CategoryAction = "block" | "mask" | "shadow" | "pass";

/** The actions in order of precedence, weakest first. */
export const CATEGORY_ACTIONS: readonly CategoryAction[] = ["pass", "shadow", "mask", "block"];

const RANK: Readonly<Record<CategoryAction, number>> = { pass: 0, shadow: 1, mask: 2, block: 3 };

/** A category's own rule at one point: its action and its reply, each falling back to the point's. */
export interface CategoryRule {
  action?: CategoryAction;
  presetResponse?: string;
}

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
  /**
   * The action of every category without a rule of its own: `block` answers `direct_output` with
   * the preset response, `mask` answers `overridden`; `shadow` and `pass` let everything through.
   */
  action: CategoryAction;
  /** The answer Dify shows instead of a blocked message or answer: a reply template (`{category}`, …). */
  presetResponse: string;
  /** Applied when an engine fails (upstream down, timeout, garbage). */
  onEngineError: FailurePolicy;
  /**
   * Rules by category or family (`pii.email`, `pii`, `hate`): the most specific one that names a
   * finding's category gives its action and reply; the point's own apply where none does.
   */
  categories?: Readonly<Record<string, CategoryRule>>;
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
   * Reply templates may use `{terms}`, the matched list terms (the operator's words, which then
   * reach end users). Default `false`.
   */
  replyShowsTerms?: boolean;
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
  /**
   * `block` or `mask` (what Dify was told in `enforce` mode), `shadow` (only categories whose
   * action is `shadow` matched: recorded, let through) or `pass`.
   */
  verdict: "pass" | "block" | "mask" | "shadow";
  mode: PolicyMode;
  /** Why a call was blocked other than by a match: no span to mask, or an engine failed (`closed`). */
  reason?: "unmaskable" | "engine-error";
  /** The engines that flagged (or the one that failed, for `engine-error`). */
  engines: string[];
  /** The list terms (or rule names) that matched, each once, at most {@link RECORDED_TERMS_LIMIT}. */
  terms: string[];
  /** The categories that matched (those whose action is `pass` left out), each once, first found first. */
  categories: string[];
  /** The category that decided the verdict; absent for a pass and for an engine failure. */
  category?: string;
  /** Categories recorded in shadow within a `block` or `mask` verdict (they did not decide it). */
  shadowed?: string[];
  /** The engines' own names for what matched (list names, OpenAI's categories), at most {@link RECORDED_TERMS_LIMIT}. */
  rules: string[];
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
  /** The point's action for categories without a rule of their own. */
  action: CategoryAction;
  /** The action a finding of `category` gets at this point. */
  actionOf(category: string): CategoryAction;
  maskCharacter: string;
  texts: readonly string[];
  sources: readonly string[];
  runs: EngineRun[];
}

/** Per-call options: where to log, fields for the request's log line, who hears the verdict, who wants a trace. */
export interface PolicyCallContext {
  /** The request's id, for the `{request_id}` of reply templates. */
  requestId?: string;
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
  | { verdict: "shadow"; engines: string[] }
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
  /** Each category that matched (pass left out) and its action, in the order found. */
  categories: Map<string, CategoryAction>;
  /** Categories whose finding could not be masked (a whole-text verdict under `mask`). */
  unmaskable: Set<string>;
  rules: Set<string>;
}

/** What a category gets at one point. */
interface Resolved {
  action: CategoryAction;
  /** Its reply: its own rule's, or its family's, or the point's. */
  template: ReplyTemplate;
  /** The reply comes from a category rule, not the point's default. */
  ownTemplate: boolean;
}

/** Most categories whose resolution a point remembers (the vocabulary has about 40, plus custom ones). */
const RESOLVED_CACHE_LIMIT = 1_000;

/** Replies with `{terms}` remembered so Dify's echo of them is not judged: at most this many bytes. */
const TERM_REPLIES_BYTES = 1024 * 1024;
const TERM_REPLIES_TTL_MS = 10 * 60 * 1000;

/** A point's rules, compiled: what a category gets, remembered per category. */
interface CompiledPoint {
  action: CategoryAction;
  /** The point's own reply (an engine failure's, and every category's without a reply of its own). */
  base: ReplyTemplate;
  resolve(category: string): Resolved;
  templates: ReplyTemplate[];
}

function compilePoint(point: ModerationPoint, policy: PointPolicy, allowTerms: boolean): CompiledPoint {
  if (!Object.hasOwn(RANK, policy.action)) {
    throw new RangeError(`the ${point} action must be one of ${CATEGORY_ACTIONS.join(", ")}`);
  }
  const compile = (text: string, where: string) => {
    if (text.trim() === "") {
      throw new RangeError(`the ${where} preset response must not be empty: Dify would show an empty answer`);
    }
    try {
      return compileReplyTemplate(text, { allowTerms });
    } catch (error) {
      throw new RangeError(`the ${where} preset response: ${(error as Error).message}`);
    }
  };
  const base = compile(policy.presetResponse, point);
  const templates = [base];
  const rules = new Map<string, { action?: CategoryAction; template?: ReplyTemplate }>();
  for (const [category, rule] of Object.entries(policy.categories ?? {})) {
    const problem = categoryProblem(category, { families: true });
    if (problem) throw new RangeError(`${point} category rule: ${problem}`);
    if (rule.action !== undefined && !Object.hasOwn(RANK, rule.action)) {
      throw new RangeError(
        `${point} category rule ${category}: the action must be one of ${CATEGORY_ACTIONS.join(", ")}`,
      );
    }
    const template =
      rule.presetResponse === undefined ? undefined : compile(rule.presetResponse, `${point} ${category}`);
    if (template) templates.push(template);
    rules.set(category, { ...(rule.action && { action: rule.action }), ...(template && { template }) });
  }
  const resolved = new Map<string, Resolved>();
  return {
    action: policy.action,
    base,
    templates,
    resolve(category) {
      const known = resolved.get(category);
      if (known) return known;
      let action: CategoryAction | undefined;
      let template: ReplyTemplate | undefined;
      for (const id of categoryAncestry(category)) {
        const rule = rules.get(id);
        action ??= rule?.action;
        template ??= rule?.template;
      }
      const result: Resolved = { action: action ?? policy.action, template: template ?? base, ownTemplate: !!template };
      if (resolved.size < RESOLVED_CACHE_LIMIT) resolved.set(category, result);
      return result;
    },
  };
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

/** What a fixed template renders with (it uses none of it). */
const NO_VALUES: ReplyValues = {
  category: undefined,
  categories: [],
  engines: [],
  appId: undefined,
  requestId: undefined,
  terms: [],
};

/**
 * Builds the policy layer: runs the engines in order on the texts of a Dify call and turns their
 * findings into Dify's reply.
 *
 * - Each finding's category (docs/categories.md) gets an action at the point: its own rule's, its
 *   family's, or the point's `action`. `pass` findings are dropped as if nothing matched.
 * - Nothing left → the text passes unchanged.
 * - A `block` finding → the first engine that has one stops the run; `direct_output` with the
 *   reply template of the deciding category (its own, else the point's), filled in.
 * - Otherwise `mask` findings are masked: every engine runs; the spans of all engines are merged
 *   and masked; `overridden` carries every input back (masked or not) and the full query. A
 *   whole-text verdict (OpenAI) has nothing to mask, so such a call is blocked instead.
 * - `shadow` findings are recorded and let through (the verdict record says `shadow`).
 * - An engine that fails is skipped (`open`, logged as a warning) or blocks the call (`closed`).
 * - Output moderation never flags the service's own preset responses: after a `direct_output`, Dify
 *   may send the preset response itself for output moderation.
 */
export function createModerationPolicy(options: ModerationPolicyOptions): ModerationPolicy {
  if (options.engines.length === 0) throw new RangeError("the moderation policy needs at least one engine");
  const maskCharacter = options.maskCharacter ?? DEFAULT_MASK_CHARACTER;
  if ([...maskCharacter].length !== 1) throw new RangeError("the mask character must be exactly one character");
  const allowTerms = options.replyShowsTerms === true;
  const points: Record<ModerationPoint, CompiledPoint> = {
    input: compilePoint("input", options.input, allowTerms),
    output: compilePoint("output", options.output, allowTerms),
  };
  // Dify may send a preset response back for output moderation: it is never judged. Fixed replies
  // are known as they are, templated ones by their shape, replies with terms by remembering them.
  const templates = [...points.input.templates, ...points.output.templates];
  const fixedResponses = new Set(templates.filter((t) => t.fixed).map((t) => t.render(NO_VALUES)));
  const shapedResponses = templates.filter((t) => !t.fixed && !t.usesTerms);
  const termReplies = templates.some((t) => t.usesTerms)
    ? new LRUCache<string, true>({
        maxSize: TERM_REPLIES_BYTES,
        sizeCalculation: (_value, key) => 64 + 2 * key.length,
        maxEntrySize: TERM_REPLIES_BYTES,
        ttl: TERM_REPLIES_TTL_MS,
      })
    : undefined;
  const isOwnResponse = (text: string, appId: string | undefined) =>
    fixedResponses.has(text) ||
    (shapedResponses.length > 0 && shapedResponses.some((t) => t.recognizes(text, appId))) ||
    termReplies?.has(text) === true;
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
    const { resolve } = points[point];
    const spans: MaskSpan[][] = texts.map(() => []);
    const flaggedBy: string[] = [];
    let strongest = 0;
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
      let counted = false;
      verdicts.forEach((verdict, index) => {
        if (!verdict.flagged) return;
        let countedHere = false;
        const fallback = verdict.categories[0] ?? OTHER_CATEGORY;
        if (verdict.findings.length > 0) {
          // A loop, not push(...findings): a text can hold more matches than a call can take arguments.
          const found = spans[index]!;
          for (const finding of verdict.findings) {
            const category = finding.category ?? fallback;
            const { action } = resolve(category);
            if (action === "pass") continue;
            countedHere = true;
            if (!matched.categories.has(category)) matched.categories.set(category, action);
            if (matched.terms.size < RECORDED_TERMS_LIMIT) matched.terms.add(finding.label);
            if (action === "mask") found.push(finding);
            if (RANK[action] > strongest) strongest = RANK[action];
          }
        } else {
          // A whole-text verdict (OpenAI, a guard model): nothing to mask.
          for (const category of verdict.categories.length > 0 ? verdict.categories : [fallback]) {
            const { action } = resolve(category);
            if (action === "pass") continue;
            countedHere = true;
            if (!matched.categories.has(category)) matched.categories.set(category, action);
            if (action === "mask") matched.unmaskable.add(category);
            if (RANK[action] > strongest) strongest = RANK[action];
          }
        }
        if (!countedHere) return;
        counted = true;
        for (const rule of verdict.rules ?? []) if (matched.rules.size < RECORDED_TERMS_LIMIT) matched.rules.add(rule);
      });
      if (!counted) continue;
      flaggedBy.push(engine.name);
      if (strongest === RANK.block) return { verdict: "block", engines: flaggedBy, reason: "flagged" };
      if (matched.unmaskable.size > 0) return { verdict: "block", engines: flaggedBy, reason: "unmaskable" };
    }
    if (flaggedBy.length === 0) return { verdict: "pass", engines: [] };
    if (strongest === RANK.mask) return { verdict: "mask", engines: flaggedBy, spans };
    return { verdict: "shadow", engines: flaggedBy };
  }

  /**
   * Records the outcome (log fields, the verdict record) and says what Dify is told: in shadow
   * mode, and for a `shadow` verdict, the call passes. A block carries its reply.
   */
  function note(
    context: PolicyCallContext,
    point: ModerationPoint,
    appId: string | undefined,
    outcome: Outcome,
    matched: Matched,
  ): { verdict: "pass" } | { verdict: "block"; reply: string } | Extract<Outcome, { verdict: "mask" }> {
    const reason = outcome.verdict === "block" && outcome.reason !== "flagged" ? outcome.reason : undefined;
    const categories = [...matched.categories.keys()];
    // The categories whose action decided: block's (or, unmaskable, the mask categories that could not be masked).
    const deciding =
      outcome.verdict === "block"
        ? outcome.reason === "unmaskable"
          ? "mask"
          : "block"
        : outcome.verdict === "mask" || outcome.verdict === "shadow"
          ? outcome.verdict
          : undefined;
    const decisive =
      deciding === undefined || reason === "engine-error"
        ? []
        : categories.filter((category) =>
            deciding === "mask" && outcome.verdict === "block"
              ? matched.unmaskable.has(category)
              : matched.categories.get(category) === deciding,
          );
    const shadowed =
      outcome.verdict === "block" || outcome.verdict === "mask"
        ? categories.filter((category) => matched.categories.get(category) === "shadow")
        : [];
    if (context.logFields) {
      context.logFields.verdict = outcome.verdict;
      if (outcome.engines.length > 0) context.logFields.engine = outcome.engines.join(",");
      if (reason) context.logFields.reason = reason;
      if (mode === "shadow") context.logFields.mode = mode;
      if (categories.length > 0) context.logFields.categories = categories;
      if (shadowed.length > 0) context.logFields.shadowed = shadowed;
    }
    const terms = [...matched.terms];
    context.onVerdict?.({
      point,
      verdict: outcome.verdict,
      mode,
      ...(reason && { reason }),
      engines: outcome.engines,
      terms,
      categories,
      ...(decisive.length > 0 && { category: decisive[0] }),
      ...(shadowed.length > 0 && { shadowed }),
      rules: [...matched.rules],
    });
    if (mode === "shadow" || outcome.verdict === "pass" || outcome.verdict === "shadow") return { verdict: "pass" };
    if (outcome.verdict === "mask") return outcome;
    const { resolve, base } = points[point];
    // The first deciding category with a reply of its own gives the reply, else the point's.
    const own = decisive.find((category) => resolve(category).ownTemplate);
    const template = own === undefined ? base : resolve(own).template;
    const reply = template.render({
      category: decisive[0],
      categories,
      engines: outcome.engines,
      appId,
      requestId: context.requestId,
      terms,
    });
    if (template.usesTerms) termReplies?.set(reply, true);
    return { verdict: "block", reply };
  }

  const nothingMatched = (): Matched => ({
    terms: new Set(),
    categories: new Map(),
    unmaskable: new Set(),
    rules: new Set(),
  });

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
      trace({
        point,
        action: options[point].action,
        actionOf: (category) => points[point].resolve(category).action,
        maskCharacter,
        texts,
        sources: sources(),
        runs,
      });
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
      const outcome = note(context, "input", params.app_id, judged, matched);
      if (outcome.verdict === "pass") return inputPass();
      if (outcome.verdict === "block") return inputBlock(outcome.reply);

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
      const skip = !NOT_BLANK.test(params.text) || isOwnResponse(params.text, params.app_id);
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
      const outcome = note(context, "output", params.app_id, judged, matched);
      if (outcome.verdict === "pass") return outputPass();
      if (outcome.verdict === "block") return outputBlock(outcome.reply);
      return outputOverride(maskSpans(params.text, outcome.spans[0]!, maskCharacter));
    },
  };
}
