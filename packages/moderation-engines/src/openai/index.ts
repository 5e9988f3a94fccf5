/**
 * Moderation engine backed by OpenAI's moderation endpoint (`POST /v1/moderations`) through the
 * official `openai` SDK. All uncached texts of one `moderate()` call go upstream in one request;
 * verdicts are cached per text (bounded LRU with TTL) and concurrent requests for the same text
 * share one upstream request. Every upstream failure becomes an `EngineUnavailableError` within
 * a bounded time (see {@link openAIWorstCaseMs}); the policy layer decides what happens then.
 *
 * See docs/engine-openai.md.
 */
import { LRUCache } from "lru-cache";
import OpenAI from "openai";
import {
  EngineUnavailableError,
  type ModerateContext,
  type ModerationEngine,
  type TextVerdict,
  type UpstreamEvent,
} from "../engine.ts";
import {
  checkCategory,
  checkIntegerSetting,
  checkScore,
  DEFAULT_MODEL,
  MAX_REPLY_BYTES,
  MAX_RETRY_DELAY_MS,
  OPENAI_SETTINGS,
  openAIWorstCaseMs,
} from "./settings.ts";

export * from "./settings.ts";

/** A pino-like logger; only `warn` is used, never with text or secrets. */
export interface WarnLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

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
}

/** What the engine keeps of one judgement (also the cache value). */
interface Judgement {
  readonly flagged: boolean;
  readonly categories: readonly string[];
}

interface Batch {
  readonly controller: AbortController;
  /** Callers still waiting; when the last one aborts, the upstream request is aborted. */
  waiters: number;
}

interface Pending {
  readonly judgement: Promise<Judgement>;
  readonly batch: Batch;
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
    fetch: boundedRetryFetch(cappedReplyFetch(baseFetch), logger),
  });

  const cache =
    cacheMax > 0
      ? new LRUCache<string, Judgement>({
          max: cacheMax,
          ttl: cacheTtlMs,
          maxSize: cacheMaxChars,
          sizeCalculation: (_value, key) => Math.max(1, key.length),
        })
      : undefined;
  const inFlight = new Map<string, Pending>();
  const warnedMissing = new Set<string>();
  const keyOf = (text: string) => `${model}\u0000${text}`;

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

  /** Sends one upstream request for `texts` (distinct, non-blank, uncached). */
  const startBatch = (texts: string[]): Pending[] => {
    const batch: Batch = { controller: new AbortController(), waiters: 0 };
    const keys = texts.map(keyOf);
    const results = requestModeration(texts, batch.controller).then((judgements) => {
      keys.forEach((key, i) => {
        cache?.set(key, judgements[i]!);
      });
      return judgements;
    });
    const pendings = keys.map((key, i) => {
      const judgement = results.then((all) => all[i]!);
      // A caller that aborted no longer listens; keep its rejection from being unhandled.
      judgement.catch(() => {});
      const pending: Pending = { judgement, batch };
      inFlight.set(key, pending);
      return pending;
    });
    results
      .finally(() => {
        keys.forEach((key, i) => {
          if (inFlight.get(key) === pendings[i]) inFlight.delete(key);
        });
      })
      .catch(() => {});
    return pendings;
  };

  const requestModeration = async (texts: string[], controller: AbortController): Promise<Judgement[]> => {
    let deadlineHit = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The SDK's timeout covers each attempt only until the headers arrive, and its retry sleep
    // cannot be interrupted, so a hard deadline guarantees the bound.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        deadlineHit = true;
        controller.abort();
        reject(
          new EngineUnavailableError("openai", `OpenAI moderation did not answer within its ${budgetMs} ms budget`),
        );
      }, budgetMs);
    });
    const call = client.moderations.create({ model, input: texts }, { signal: controller.signal });
    call.catch(() => {});
    const started = performance.now();
    const report = (outcome: "ok" | "error" | "timeout") =>
      options.onUpstream?.({
        kind: "call",
        upstream: "openai",
        outcome,
        seconds: (performance.now() - started) / 1000,
      });
    try {
      const body: unknown = await Promise.race([call, deadline]);
      const results = validateReply(body, texts.length);
      report("ok");
      return results.map(judge);
    } catch (error) {
      const unavailable =
        error instanceof EngineUnavailableError
          ? error
          : toUnavailable(error, {
              deadlineHit,
              budgetMs,
              timeoutMs,
              attempts: maxRetries + 1,
              aborted: controller.signal.aborted,
            });
      report(deadlineHit || /timed out|did not answer/.test(unavailable.message) ? "timeout" : "error");
      throw unavailable;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    name: "openai",
    async moderate(texts: readonly string[], context: ModerateContext): Promise<TextVerdict[]> {
      const signal = context?.signal;
      if (signal?.aborted) throw abortedError(signal);

      const answers: Array<Judgement | Promise<Judgement>> = [];
      const joined = new Set<Batch>();
      const toSend: string[] = [];
      const slotsOf = new Map<string, number[]>();
      texts.forEach((text, index) => {
        if (typeof text !== "string" || text.trim() === "") {
          answers[index] = CLEAN;
          return;
        }
        const key = keyOf(text);
        const cached = cache?.get(key);
        if (cache) options.onUpstream?.({ kind: "cache", cache: "openai", hit: cached !== undefined });
        if (cached) {
          answers[index] = cached;
          return;
        }
        const pending = inFlight.get(key);
        if (pending) {
          answers[index] = pending.judgement;
          joined.add(pending.batch);
          return;
        }
        const slots = slotsOf.get(text);
        if (slots) slots.push(index);
        else {
          slotsOf.set(text, [index]);
          toSend.push(text);
        }
      });
      if (toSend.length > 0) {
        const pendings = startBatch(toSend);
        toSend.forEach((text, i) => {
          const pending = pendings[i]!;
          joined.add(pending.batch);
          for (const index of slotsOf.get(text) ?? []) answers[index] = pending.judgement;
        });
      }

      for (const batch of joined) batch.waiters += 1;
      const all = Promise.all(answers);
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        if (!signal || joined.size === 0) return;
        onAbort = () => {
          for (const batch of joined) {
            batch.waiters -= 1;
            if (batch.waiters === 0) {
              // Nobody else waits: stop the request, and let later callers start afresh.
              for (const [key, pending] of inFlight) if (pending.batch === batch) inFlight.delete(key);
              batch.controller.abort();
            }
          }
          reject(abortedError(signal));
        };
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        const judgements = await Promise.race([all, aborted]);
        return judgements.map((j) => ({ flagged: j.flagged, findings: [], categories: [...j.categories] }));
      } finally {
        if (signal && onAbort) signal.removeEventListener("abort", onAbort);
        if (!signal?.aborted) for (const batch of joined) batch.waiters -= 1;
      }
    },
  };
}

function abortedError(signal: AbortSignal): EngineUnavailableError {
  return new EngineUnavailableError("openai", "OpenAI moderation was aborted by the caller", { cause: signal.reason });
}

/**
 * Wraps `fetch` so that a retryable error reply asking to wait longer than
 * {@link MAX_RETRY_DELAY_MS} (`retry-after-ms` / `retry-after`) is marked `x-should-retry:
 * false`: the SDK then fails at once instead of sleeping past the budget.
 */
function boundedRetryFetch(baseFetch: typeof fetch, logger: WarnLogger | undefined): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (response.ok) return response;
    const delayMs = requestedRetryDelayMs(response.headers);
    if (delayMs === undefined || delayMs <= MAX_RETRY_DELAY_MS) return response;
    logger?.warn(
      { engine: "openai", status: response.status, retryAfterMs: Math.round(delayMs) },
      "OpenAI moderation asked to retry later than the time budget allows; not retrying",
    );
    const headers = new Headers(response.headers);
    headers.set("x-should-retry", "false");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** A reply body that passed {@link MAX_REPLY_BYTES}; reading it stopped there. */
class ReplyTooLargeError extends Error {
  override readonly name = "ReplyTooLargeError";
  constructor() {
    super(`OpenAI moderation answered with a reply larger than ${MAX_REPLY_BYTES} bytes`);
  }
}

/**
 * Wraps `fetch` so that no reply body is read past {@link MAX_REPLY_BYTES}: a larger declared
 * `content-length` fails at once, and a body without one fails as soon as it passes the cap. The
 * SDK then rejects with {@link ReplyTooLargeError} while parsing, and the engine reports it as
 * unavailable. Without the cap, a reply of a few megabytes costs hundreds of megabytes of memory.
 */
function cappedReplyFetch(baseFetch: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (!response.body) return response;
    const upstream = response.body;
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    let body: ReadableStream<Uint8Array>;
    if (declared > MAX_REPLY_BYTES) {
      upstream.cancel().catch(() => {});
      body = new ReadableStream({ start: (controller) => controller.error(new ReplyTooLargeError()) });
    } else {
      const reader = upstream.getReader();
      let size = 0;
      body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          size += value.byteLength;
          if (size > MAX_REPLY_BYTES) {
            reader.cancel().catch(() => {});
            return controller.error(new ReplyTooLargeError());
          }
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
    }
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

function requestedRetryDelayMs(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms)) return ms;
  const retryAfter = headers.get("retry-after");
  if (retryAfter === null) return undefined;
  const seconds = Number.parseFloat(retryAfter);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? date - Date.now() : undefined;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turns whatever the SDK threw into an error naming the kind of failure, without body or key. */
function toUnavailable(
  error: unknown,
  state: { deadlineHit: boolean; budgetMs: number; timeoutMs: number; attempts: number; aborted: boolean },
): EngineUnavailableError {
  const fail = (message: string, cause?: unknown) =>
    new EngineUnavailableError("openai", message, cause === undefined ? undefined : { cause });
  const attempts = state.attempts > 1 ? ` (${state.attempts} attempts)` : "";
  if (state.deadlineHit) return fail(`OpenAI moderation did not answer within its ${state.budgetMs} ms budget`);
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return fail(`OpenAI moderation timed out after ${state.timeoutMs} ms${attempts}`);
  }
  if (error instanceof OpenAI.APIUserAbortError || state.aborted) {
    return fail("OpenAI moderation was aborted by the caller");
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const code = networkCode(error);
    return fail(`OpenAI moderation could not connect${code ? ` (${code})` : ""}${attempts}`);
  }
  if (error instanceof OpenAI.APIError && typeof error.status === "number") {
    // The SDK's message repeats the upstream body (OpenAI's 401 even echoes part of the key).
    const hint =
      error.status === 401 || error.status === 403
        ? " (check the API key)"
        : error.status === 429
          ? " (rate limited)"
          : "";
    return fail(`OpenAI moderation answered ${error.status}${hint}`);
  }
  if (error instanceof ReplyTooLargeError) return fail(error.message);
  if (error instanceof SyntaxError) return fail("OpenAI moderation answered with a malformed body: invalid JSON");
  const code = networkCode(error);
  return fail(`OpenAI moderation failed while reading the reply${code ? ` (${code})` : ""}`);
}

/** A Node/undici error code (`ECONNREFUSED`, `UND_ERR_SOCKET`) found in an error's cause chain. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isObject(current); depth++) {
    const code = current.code;
    if (typeof code === "string" && /^[A-Z][A-Z_]+$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}
