/**
 * Moderation engine backed by a self-hosted guard model (Llama Guard 3/4, Qwen3Guard-Gen,
 * ShieldGemma) behind an OpenAI-compatible `POST /chat/completions` endpoint (vLLM, Ollama, SGLang,
 * LocalAI), through the official `openai` SDK. Each text is judged in overlapping windows, one
 * request per window; window verdicts are cached (bounded LRU with TTL) and concurrent requests for
 * the same window share one upstream request. The time budget, retry rule, reply cap and cache are
 * the OpenAI engine's (`src/upstream/`). Every failure, and every reply not in the family's format,
 * becomes an `EngineUnavailableError` within the budget; the policy layer decides what happens then.
 *
 * See docs/engine-guard.md.
 */
import OpenAI from "openai";
import {
  EngineUnavailableError,
  type ModerateContext,
  type ModerationEngine,
  type ModerationPoint,
  type TextVerdict,
  type UpstreamEvent,
} from "../engine.ts";
import { mapCategories } from "../categories.ts";
import { type CoalescingEntry, categoriesChars, createCoalescingCache } from "../upstream/coalesce.ts";
import { boundedRetryFetch, cappedReplyFetch, isObject, type WarnLogger } from "../upstream/fetch.ts";
import type { SharedStore } from "../shared.ts";
import { createLimiter } from "../upstream/limiter.ts";
import { callWithDeadline } from "../upstream/sdk-call.ts";
import { checkIntegerOption } from "../upstream/settings.ts";
import { sharedFlagJudgements } from "../upstream/shared-verdicts.ts";
import { buildGuardRequest, type ParsedVerdict, parseGuardReply } from "./formats.ts";
import {
  type ControversialAction,
  DEFAULT_CONTROVERSIAL,
  GUARD_SETTINGS,
  type GuardFormat,
  guardWorstCaseMs,
  resolveGuardSettings,
  GUARD_CATEGORY_MAPS,
  UNSPECIFIED_CATEGORY,
} from "./settings.ts";
import { splitIntoWindows } from "./windows.ts";

export type { WarnLogger } from "../upstream/fetch.ts";
export * from "./formats.ts";
export * from "./settings.ts";
export { splitIntoWindows } from "./windows.ts";

/** The engine rule of a Qwen3Guard `Controversial` verdict that blocks: a level, not a category. */
const CONTROVERSIAL_RULE = "controversial";

const LABEL = "The guard model";
const OWNER = "Guard engine";

export interface GuardEngineOptions {
  /** Base URL of the OpenAI-compatible API, including `/v1` (`http://127.0.0.1:11434/v1` for Ollama). */
  baseURL: string;
  /** The model name the server knows (`llama-guard3:8b`, `Qwen/Qwen3Guard-Gen-4B`). */
  model: string;
  /** Sent as `Authorization: Bearer` when set (vLLM's `--api-key`); never logged. No header without one. */
  apiKey?: string;
  /** The family's format; inferred from `model` when absent. */
  format?: GuardFormat;
  /**
   * The categories that block, per point, by id or name (see {@link GUARD_CATEGORIES}); default all
   * of the family's. A verdict naming only other categories passes. An empty list turns the engine
   * off at that point (no request is sent).
   */
  categories?: { input?: readonly string[]; output?: readonly string[] };
  /** Qwen3Guard's `Controversial`: judged like `Unsafe` (`block`, default) or let through (`pass`). */
  controversial?: ControversialAction;
  /** Timeout of one attempt in ms; default and bounds in {@link GUARD_SETTINGS}. */
  timeoutMs?: number;
  /** Retries after a failed attempt (timeouts, connection errors, 408/409/429/5xx): 0 or 1 (default). */
  maxRetries?: number;
  /** Verdict cache, per window: `max` entries (0 disables it), `ttlMs`, `maxChars` of cached windows. */
  cache?: { max?: number; ttlMs?: number; maxChars?: number };
  /** Windows: `chars` per request, `overlapChars` shared by consecutive windows (less than half). */
  window?: { chars?: number; overlapChars?: number };
  /** Requests in flight to the model at most. */
  maxConcurrency?: number;
  /** Receives warnings (retry-after beyond the budget); never text or secrets. */
  logger?: WarnLogger;
  /** `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
  /** Told about every upstream call (outcome, duration) and cache lookup, for metrics. */
  onUpstream?: (event: UpstreamEvent) => void;
  /**
   * The store replicas share (SHARED_STATE_URL): window verdicts are looked up there before the
   * model is asked, and written there once judged, so no window goes to the GPU twice whichever
   * replica gets the call. Only with the cache on (`cache.max` above 0).
   */
  shared?: SharedStore;
}

/** One window's judgement (also the cache value). */
interface Judgement {
  readonly flagged: boolean;
  readonly categories: readonly string[];
}

interface WindowInput {
  point: ModerationPoint;
  text: string;
}

const CLEAN: Judgement = { flagged: false, categories: [] };

/** Creates the `guard` engine. Throws on invalid options (the message never contains the key). */
export function createGuardEngine(options: GuardEngineOptions): ModerationEngine {
  if (typeof options.baseURL !== "string" || !URL.canParse(options.baseURL)) {
    throw new Error(`${OWNER} option baseURL must be a URL such as http://127.0.0.1:11434/v1`);
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== "string" || options.apiKey.trim() === "")) {
    throw new Error(`${OWNER} option apiKey must not be empty when given`);
  }
  const { format, categories } = resolveGuardSettings(options);
  const categoryMap = GUARD_CATEGORY_MAPS[format];
  const controversial = options.controversial ?? DEFAULT_CONTROVERSIAL;
  if (controversial !== "block" && controversial !== "pass") {
    throw new Error(`${OWNER} option controversial must be block or pass`);
  }
  const setting = (name: keyof typeof GUARD_SETTINGS, value: number | undefined, label: string = name) =>
    checkIntegerOption(OWNER, value ?? GUARD_SETTINGS[name].default, label, GUARD_SETTINGS[name]);
  const timeoutMs = setting("timeoutMs", options.timeoutMs);
  const maxRetries = setting("maxRetries", options.maxRetries);
  const cacheMax = setting("cacheMax", options.cache?.max, "cache.max");
  const cacheTtlMs = setting("cacheTtlMs", options.cache?.ttlMs, "cache.ttlMs");
  const cacheMaxChars = setting("cacheMaxChars", options.cache?.maxChars, "cache.maxChars");
  const windowChars = setting("windowChars", options.window?.chars, "window.chars");
  const overlapChars = setting("windowOverlapChars", options.window?.overlapChars, "window.overlapChars");
  if (overlapChars * 2 >= windowChars) {
    throw new RangeError(
      `${OWNER} option window.overlapChars (${overlapChars}) must be less than half of window.chars (${windowChars})`,
    );
  }
  const limiter = createLimiter(setting("maxConcurrency", options.maxConcurrency));
  const budgetMs = guardWorstCaseMs(timeoutMs, maxRetries);
  const model = options.model;
  const baseFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const blocking: Record<ModerationPoint, Set<string>> = {
    input: new Set(categories.input),
    output: new Set(categories.output),
  };

  const client = new OpenAI({
    // The SDK needs a key; without one the Authorization header is removed below.
    apiKey: options.apiKey ?? "no-key",
    baseURL: options.baseURL,
    // Explicit values so the SDK reads nothing (OPENAI_API_KEY, OPENAI_ORG_ID) from the environment.
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: timeoutMs,
    maxRetries,
    logLevel: "off",
    ...(options.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
    fetch: boundedRetryFetch(cappedReplyFetch(baseFetch, LABEL), options.logger, "guard", LABEL),
  });

  const outOfBudget = () =>
    new EngineUnavailableError("guard", `${LABEL} did not answer within its ${budgetMs} ms budget`);

  const decide = (verdict: ParsedVerdict, point: ModerationPoint): Judgement => {
    if (verdict.safety === "safe") return CLEAN;
    if (verdict.safety === "controversial" && controversial === "pass") return CLEAN;
    const hits = verdict.categories.filter((id) => id === UNSPECIFIED_CATEGORY || blocking[point].has(id));
    if (hits.length === 0) return CLEAN;
    return { flagged: true, categories: verdict.safety === "controversial" ? [CONTROVERSIAL_RULE, ...hits] : hits };
  };

  const judgeWindow = (input: WindowInput, controller: AbortController): Promise<Judgement> => {
    const asked = categories[input.point];
    const request = buildGuardRequest(format, input.text, input.point, asked);
    return limiter.run(
      controller.signal,
      () =>
        callWithDeadline(
          () =>
            client.chat.completions.create(
              { model, temperature: 0, stream: false, ...request },
              { signal: controller.signal },
            ),
          (body) => {
            const content = replyContent(body);
            const verdict = parseGuardReply(format, content, asked);
            if (!verdict) {
              throw new EngineUnavailableError("guard", `${LABEL} answered in a form that is not the ${format} format`);
            }
            return decide(verdict, input.point);
          },
          {
            engine: "guard",
            label: LABEL,
            budgetMs,
            timeoutMs,
            attempts: maxRetries + 1,
            controller,
            onUpstream: options.onUpstream,
          },
        ),
      () => (controller.signal.reason instanceof EngineUnavailableError ? controller.signal.reason : outOfBudget()),
    );
  };

  // A cache key is what the verdict depends on besides the window (JSON, so the prefix ends
  // unambiguously), then the window as sent.
  const keyPrefix: Record<ModerationPoint, string> = {
    input: JSON.stringify([format, model, "input"]),
    output: JSON.stringify([format, model, "output"]),
  };
  const verdicts = createCoalescingCache<WindowInput, Judgement>({
    name: "guard",
    cache: { max: cacheMax, ttlMs: cacheTtlMs, maxChars: cacheMaxChars },
    judgementChars: (judgement) => categoriesChars(judgement.categories),
    onUpstream: options.onUpstream,
    // The cache key names the format, model, point and window; the verdict also depends on these.
    ...(options.shared && {
      shared: sharedFlagJudgements(options.shared, [
        "guard",
        options.baseURL,
        categories.input,
        categories.output,
        controversial,
      ]),
    }),
    abortedError,
    start(inputs, controller) {
      // One budget for the whole batch: windows waiting for a free slot count against it too.
      const timer = setTimeout(() => controller.abort(outOfBudget()), budgetMs);
      const judgements = inputs.map((input) => judgeWindow(input, controller));
      Promise.allSettled(judgements).then(() => clearTimeout(timer));
      return judgements;
    },
  });

  return {
    name: "guard",
    async moderate(texts: readonly string[], context: ModerateContext): Promise<TextVerdict[]> {
      const point = context.point;
      const entries: Array<CoalescingEntry<WindowInput>> = [];
      const windowsOf: number[][] = texts.map(() => []);
      if (blocking[point].size > 0) {
        texts.forEach((text, index) => {
          if (typeof text !== "string" || text.trim() === "") return;
          for (const window of splitIntoWindows(text, windowChars, overlapChars)) {
            windowsOf[index]!.push(entries.length);
            entries.push({
              key: `${keyPrefix[point]}${window}`,
              input: { point, text: window },
              // A streamed answer's last window grows with every call: no replica asks for it again.
              // Full windows, and every input, are what other replicas meet.
              shared: point === "input" || window.length >= windowChars - 1,
            });
          }
        });
      }
      const judged = await verdicts.judge(entries, context.signal);
      return windowsOf.map((slots) => {
        const categories = new Set<string>();
        for (const slot of slots) for (const category of judged[slot]!.categories) categories.add(category);
        if (!slots.some((slot) => judged[slot]!.flagged)) return { flagged: false, findings: [], categories: [] };
        const rules = [...categories];
        const named = rules.filter((rule) => rule !== CONTROVERSIAL_RULE);
        return {
          flagged: true,
          findings: [],
          categories: mapCategories(named, categoryMap, UNSPECIFIED_CATEGORY),
          rules,
        };
      });
    },
  };
}

function abortedError(signal: AbortSignal): EngineUnavailableError {
  return new EngineUnavailableError("guard", `${LABEL} was aborted by the caller`, { cause: signal.reason });
}

/** The text of the first choice of a chat completion; errors name the problem, never the content. */
function replyContent(body: unknown): string {
  const malformed = (what: string) =>
    new EngineUnavailableError("guard", `${LABEL} answered with a malformed body: ${what}`);
  if (!isObject(body)) throw malformed("not a JSON object");
  const { choices } = body;
  if (!Array.isArray(choices) || choices.length === 0) throw malformed("no choices");
  const [choice] = choices as unknown[];
  if (!isObject(choice) || !isObject(choice.message)) throw malformed("choices[0].message is not an object");
  const { content, refusal } = choice.message;
  if (typeof content !== "string" || content.trim() === "") {
    throw malformed(typeof refusal === "string" && refusal !== "" ? "a refusal instead of a verdict" : "no content");
  }
  return content;
}
