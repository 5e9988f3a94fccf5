/**
 * Moderation engine backed by OpenAI's moderation endpoint (`POST /v1/moderations`) through the
 * official `openai` SDK. All uncached texts of one `moderate()` call go upstream in one request;
 * verdicts are cached per text (bounded LRU with TTL) and concurrent requests for the same text
 * share one upstream request. Every upstream failure becomes an `EngineUnavailableError` within
 * a bounded time (see {@link openAIWorstCaseMs}); the policy layer decides what happens then.
 *
 * See docs/engine-openai.md.
 */
import { EngineUnavailableError, type ModerateContext, type ModerationEngine, type TextVerdict } from "../engine.ts";
import { upstreamBudget } from "../upstream/deadline.ts";
import { isObject } from "../upstream/fetch.ts";
import { callWithDeadline, createSdkClient } from "../upstream/sdk-call.ts";
import { readUpstreamOptions, settingReader, type UpstreamEngineOptions } from "../upstream/settings.ts";
import { createFlagJudgementCache } from "../upstream/shared-verdicts.ts";
import { checkCategory, checkScore, DEFAULT_MODEL, OPENAI_CATEGORY_MAP, OPENAI_SETTINGS } from "./settings.ts";
import { mapCategories } from "../categories.ts";

export type { WarnLogger } from "../upstream/fetch.ts";
export * from "./settings.ts";

const LABEL = "OpenAI moderation";
const DEFAULT_BASE_URL = "https://api.openai.com/v1";

/** Besides the {@link UpstreamEngineOptions} (cached per text; defaults and bounds in {@link OPENAI_SETTINGS}): */
export interface OpenAIEngineOptions extends UpstreamEngineOptions {
  /** OpenAI API key (required, non-empty). Sent as `Authorization: Bearer`; never logged. */
  apiKey: string;
  /** Base URL including `/v1`. Default: the SDK's, `https://api.openai.com/v1`. */
  baseURL?: string;
  /** Moderation model. Default `omni-moderation-latest`. */
  model?: string;
  /**
   * Per-category score thresholds (0..1). A category with a threshold is flagged iff its score
   * is >= the threshold, whatever the API's own boolean says; a category without one is
   * flagged iff the API flags it. A text is flagged iff any category is.
   */
  thresholds?: Readonly<Record<string, number>>;
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
  const setting = settingReader("OpenAI engine", OPENAI_SETTINGS);
  const upstream = readUpstreamOptions(setting, options);
  const { timeoutMs, maxRetries, cache } = upstream;
  const thresholds = new Map<string, number>();
  for (const [category, score] of Object.entries(options.thresholds ?? {})) {
    checkCategory(category, "OpenAI engine option thresholds");
    checkScore(score, `OpenAI engine option thresholds.${category}`);
    thresholds.set(category, score);
  }
  const budget = upstreamBudget({ ...upstream, engine: "openai", label: LABEL, onUpstream: options.onUpstream });
  const logger = options.logger;
  const baseURL = options.baseURL ?? DEFAULT_BASE_URL;
  const client = createSdkClient({ ...options, engine: "openai", label: LABEL, baseURL, timeoutMs, maxRetries });

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
  const verdicts = createFlagJudgementCache<string>(options, {
    name: "openai",
    cache,
    // The cache key names the model and the text; the verdict also depends on these.
    identity: ["openai", baseURL, [...thresholds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))],
    abortedError: budget.aborted,
    start(texts, controller) {
      const all = callWithDeadline(
        () => client.moderations.create({ model, input: texts }, { signal: controller.signal }),
        (body) => validateReply(body, texts.length).map(judge),
        budget.deadline(controller),
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
