/**
 * Moderation engine backed by OpenAI's moderation endpoint (`POST /v1/moderations`) through the
 * official `openai` SDK. All uncached texts of one `moderate()` call go upstream in one request;
 * verdicts are cached per text (bounded LRU with TTL) and concurrent requests for the same text
 * share one upstream request. Every upstream failure becomes an `EngineUnavailableError` within
 * a bounded time (see {@link openAIWorstCaseMs}); the policy layer decides what happens then.
 *
 * See docs/engine-openai.md.
 */
import OpenAI from "openai";
import {
  EngineUnavailableError,
  type ModerateContext,
  type ModerationEngine,
  type TextVerdict,
  type UpstreamEvent,
} from "../engine.ts";
import { mapCategories } from "../categories.ts";
import { categoriesChars, createCoalescingCache } from "../upstream/coalesce.ts";
import { boundedRetryFetch, cappedReplyFetch, isObject, type WarnLogger } from "../upstream/fetch.ts";
import type { SharedStore } from "../shared.ts";
import { callWithDeadline } from "../upstream/sdk-call.ts";
import { sharedFlagJudgements } from "../upstream/shared-verdicts.ts";
import {
  checkCategory,
  checkIntegerSetting,
  checkScore,
  DEFAULT_MODEL,
  OPENAI_CATEGORY_MAP,
  OPENAI_SETTINGS,
  openAIWorstCaseMs,
} from "./settings.ts";

export type { WarnLogger } from "../upstream/fetch.ts";
export * from "./settings.ts";

const LABEL = "OpenAI moderation";

export interface OpenAIEngineOptions {
  /** OpenAI API key (required, non-empty). Sent as `Authorization: Bearer`; never logged. */
  apiKey: string;
  /** Base URL including `/v1`. Default: the SDK's, `https://api.openai.com/v1`. */
  baseURL?: string;
  /** Moderation model. Default `omni-moderation-latest`. */
  model?: string;
  /** Timeout of one upstream attempt in ms; default and bounds in {@link OPENAI_SETTINGS} (4000, 100..29000). */
  timeoutMs?: number;
  /** Retries after a failed attempt (timeouts, connection errors, 408/409/429/5xx): 0 or 1 (default). */
  maxRetries?: number;
  /**
   * Per-category score thresholds (0..1). A category with a threshold is flagged iff its score
   * is >= the threshold, whatever the API's own boolean says; a category without one is
   * flagged iff the API flags it. A text is flagged iff any category is.
   */
  thresholds?: Readonly<Record<string, number>>;
  /**
   * Verdict cache. `max`: entries (0 disables the cache), `ttlMs`: lifetime, `maxChars`: total
   * length of cached texts in code units. Defaults and bounds: {@link OPENAI_SETTINGS}.
   */
  cache?: { max?: number; ttlMs?: number; maxChars?: number };
  /** Receives warnings (retry-after beyond the budget, a thresholded category missing from replies). */
  logger?: WarnLogger;
  /** `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
  /** Told about every upstream call (outcome, duration) and cache lookup, for metrics. */
  onUpstream?: (event: UpstreamEvent) => void;
  /**
   * The store replicas share (SHARED_STATE_URL): verdicts are looked up there before OpenAI is
   * asked, and written there once judged. Only with the cache on (`cache.max` above 0).
   */
  shared?: SharedStore;
}

/** What the engine keeps of one judgement (also the cache value). */
interface Judgement {
  readonly flagged: boolean;
  readonly categories: readonly string[];
}

const CLEAN: Judgement = { flagged: false, categories: [] };

/** Creates the `openai` engine. Throws on invalid options (the message never contains the key). */
export function createOpenAIEngine(options: OpenAIEngineOptions): ModerationEngine {
  if (typeof options.apiKey !== "string" || options.apiKey.trim() === "") {
    throw new Error("OpenAI engine option apiKey is required and must not be empty");
  }
  const model = options.model ?? DEFAULT_MODEL;
  if (typeof model !== "string" || model.trim() === "") throw new Error("OpenAI engine option model must not be empty");
  const setting = (name: keyof typeof OPENAI_SETTINGS, value: number | undefined, label: string = name) =>
    checkIntegerSetting(value ?? OPENAI_SETTINGS[name].default, label, OPENAI_SETTINGS[name]);
  const timeoutMs = setting("timeoutMs", options.timeoutMs);
  const maxRetries = setting("maxRetries", options.maxRetries);
  const thresholds = new Map<string, number>();
  for (const [category, score] of Object.entries(options.thresholds ?? {})) {
    checkCategory(category, "OpenAI engine option thresholds");
    checkScore(score, `OpenAI engine option thresholds.${category}`);
    thresholds.set(category, score);
  }
  const cacheMax = setting("cacheMax", options.cache?.max, "cache.max");
  const cacheTtlMs = setting("cacheTtlMs", options.cache?.ttlMs, "cache.ttlMs");
  const cacheMaxChars = setting("cacheMaxChars", options.cache?.maxChars, "cache.maxChars");
  const budgetMs = openAIWorstCaseMs(timeoutMs, maxRetries);
  const logger = options.logger;
  const baseFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? "https://api.openai.com/v1",
    // Explicit values so the SDK does not read OPENAI_ORG_ID etc. from the environment.
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: timeoutMs,
    maxRetries,
    // The SDK's debug logs would carry the end user's text.
    logLevel: "off",
    fetch: boundedRetryFetch(cappedReplyFetch(baseFetch, LABEL), logger, "openai", LABEL),
  });

  const warnedMissing = new Set<string>();

  const judge = (result: ValidResult): Judgement => {
    const flagged: string[] = [];
    const names = new Set([...result.flags.keys(), ...thresholds.keys()]);
    for (const category of names) {
      const threshold = thresholds.get(category);
      const score = result.scores.get(category);
      if (threshold !== undefined && score !== undefined) {
        if (score >= threshold) flagged.push(category);
        continue;
      }
      if (threshold !== undefined && !warnedMissing.has(category)) {
        warnedMissing.add(category);
        logger?.warn(
          { engine: "openai", category, model },
          "OpenAI moderation reply has no score for a thresholded category; using the API's flag",
        );
      }
      if (result.flags.get(category) === true) flagged.push(category);
    }
    return { flagged: flagged.length > 0, categories: flagged };
  };

  // A cache key is the model (JSON, so the prefix ends unambiguously) and the text as sent.
  const keyPrefix = JSON.stringify([model]);
  // All uncached texts of one call go upstream in one request: one batch, one promise per text.
  const verdicts = createCoalescingCache<string, Judgement>({
    name: "openai",
    cache: { max: cacheMax, ttlMs: cacheTtlMs, maxChars: cacheMaxChars },
    judgementChars: (judgement) => categoriesChars(judgement.categories),
    onUpstream: options.onUpstream,
    // The cache key names the model and the text; the verdict also depends on these.
    ...(options.shared && {
      shared: sharedFlagJudgements(options.shared, [
        "openai",
        options.baseURL ?? "https://api.openai.com/v1",
        [...thresholds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ]),
    }),
    abortedError,
    start(texts, controller) {
      const all = callWithDeadline(
        () => client.moderations.create({ model, input: texts }, { signal: controller.signal }),
        (body) => validateReply(body, texts.length).map(judge),
        {
          engine: "openai",
          label: LABEL,
          budgetMs,
          timeoutMs,
          attempts: maxRetries + 1,
          controller,
          onUpstream: options.onUpstream,
        },
      );
      return texts.map((_, i) => all.then((judgements) => judgements[i]!));
    },
  });

  return {
    name: "openai",
    async moderate(texts: readonly string[], context: ModerateContext): Promise<TextVerdict[]> {
      const entries: Array<{ key: string; input: string }> = [];
      const slots: number[] = [];
      texts.forEach((text, index) => {
        if (typeof text !== "string" || text.trim() === "") return;
        entries.push({ key: `${keyPrefix}${text}`, input: text });
        slots.push(index);
      });
      const judged = await verdicts.judge(entries, context?.signal);
      const answers: Judgement[] = texts.map(() => CLEAN);
      slots.forEach((index, i) => {
        answers[index] = judged[i]!;
      });
      return answers.map((j) =>
        j.flagged
          ? {
              flagged: true,
              findings: [],
              categories: mapCategories(j.categories, OPENAI_CATEGORY_MAP),
              rules: [...j.categories],
            }
          : { flagged: false, findings: [], categories: [] },
      );
    },
  };
}

function abortedError(signal: AbortSignal): EngineUnavailableError {
  return new EngineUnavailableError("openai", "OpenAI moderation was aborted by the caller", { cause: signal.reason });
}

/** One result of a reply, in Maps: category names come from upstream and are only ever keys here. */
interface ValidResult {
  flags: Map<string, boolean | null>;
  scores: Map<string, number>;
}

/** Checks the reply's shape; errors name the problem, never the body's content. */
function validateReply(body: unknown, expected: number): ValidResult[] {
  const malformed = (what: string) =>
    new EngineUnavailableError("openai", `OpenAI moderation answered with a malformed body: ${what}`);
  if (!isObject(body)) throw malformed("not a JSON object");
  const { results } = body;
  if (!Array.isArray(results)) throw malformed("no results array");
  if (results.length !== expected) {
    throw new EngineUnavailableError(
      "openai",
      `OpenAI moderation answered ${results.length} results for ${expected} inputs`,
    );
  }
  return results.map((result: unknown, i) => {
    if (!isObject(result)) throw malformed(`results[${i}] is not an object`);
    const { categories, category_scores: scores } = result;
    if (!isObject(categories)) throw malformed(`results[${i}].categories is not an object`);
    if (!isObject(scores)) throw malformed(`results[${i}].category_scores is not an object`);
    const valid: ValidResult = { flags: new Map(), scores: new Map() };
    for (const [category, value] of Object.entries(categories)) {
      if (typeof value !== "boolean" && value !== null)
        throw malformed(`results[${i}].categories has a non-boolean value`);
      valid.flags.set(category, value);
    }
    for (const [category, value] of Object.entries(scores)) {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw malformed(`results[${i}].category_scores has a non-numeric score`);
      }
      valid.scores.set(category, value);
    }
    return valid;
  });
}
