/**
 * A JSON `POST` to an upstream model server over plain `fetch` (no SDK): the same budget, retry
 * rule, reply cap and failure messages as the SDK-driven engines, for servers whose API no SDK
 * speaks (text-embeddings-inference's `/predict`, vLLM's `/classify`).
 *
 * - Each attempt has its own timeout; the whole call, retries included, runs under the hard
 *   deadline of `runWithDeadline`.
 * - Retried, at most `maxRetries` times: timeouts, connection errors, 408, 409, 429 and 5xx, after
 *   the wait the reply asks for (`retry-after-ms`, `retry-after`) or 0.5 s; a reply asking for more
 *   than {@link MAX_RETRY_DELAY_MS} is not retried (the budget would not hold).
 * - The reply body is read up to {@link MAX_REPLY_BYTES} (`cappedReplyFetch`).
 * - Every failure becomes an `EngineUnavailableError` naming its kind; never the body or the key.
 */
import { EngineUnavailableError } from "../engine.ts";
import { type DeadlineOptions, runWithDeadline } from "./deadline.ts";
import {
  cappedReplyFetch,
  networkCode,
  ReplyTooLargeError,
  requestedRetryDelayMs,
  statusHint,
  type WarnLogger,
} from "./fetch.ts";
import { MAX_RETRY_DELAY_MS } from "./settings.ts";

/** The wait before a retry when the reply does not say. */
export const DEFAULT_RETRY_DELAY_MS = 500;

export interface JsonPostOptions extends DeadlineOptions {
  url: string;
  body: unknown;
  /** Sent as `Authorization: Bearer`; never logged or put in a message. */
  apiKey?: string;
  /** Timeout of one attempt. */
  timeoutMs: number;
  /** Retries after a failed attempt (0 or 1 for the engines). */
  maxRetries: number;
  fetch: typeof fetch;
  logger?: WarnLogger;
}

/** A failed attempt and whether it may be retried. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly delayMs: number = DEFAULT_RETRY_DELAY_MS,
  ) {
    super(message);
  }
}

const RETRYABLE_STATUS = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/** Posts `body` as JSON and resolves with the parsed JSON reply; rejects with an `EngineUnavailableError`. */
export function postJson(options: JsonPostOptions): Promise<unknown> {
  const { engine, label, controller, timeoutMs, maxRetries } = options;
  const attempts = maxRetries + 1;
  const capped = cappedReplyFetch(options.fetch, label);
  const fail = (message: string) => new EngineUnavailableError(engine, message);
  const suffix = attempts > 1 ? ` (${attempts} attempts)` : "";

  const attempt = async (): Promise<unknown> => {
    const attemptController = new AbortController();
    const onAbort = () => attemptController.abort();
    controller.signal.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attemptController.abort();
    }, timeoutMs);
    try {
      const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
      if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
      let response: Response;
      try {
        response = await capped(options.url, {
          method: "POST",
          headers,
          body: JSON.stringify(options.body),
          signal: attemptController.signal,
          redirect: "error",
        });
      } catch (error) {
        if (controller.signal.aborted) throw error;
        if (timedOut) throw new AttemptError(`${label} timed out after ${timeoutMs} ms${suffix}`, true);
        const code = networkCode(error);
        throw new AttemptError(`${label} could not connect${code ? ` (${code})` : ""}${suffix}`, true);
      }
      if (!response.ok) {
        response.body?.cancel().catch(() => {});
        const message = `${label} answered ${response.status}${statusHint(response.status)}`;
        if (!RETRYABLE_STATUS(response.status)) throw new AttemptError(message, false);
        const asked = requestedRetryDelayMs(response.headers);
        if (asked !== undefined && asked > MAX_RETRY_DELAY_MS) {
          options.logger?.warn(
            { engine, status: response.status, retryAfterMs: Math.round(asked) },
            `${label} asked to retry later than the time budget allows; not retrying`,
          );
          throw new AttemptError(message, false);
        }
        throw new AttemptError(message, true, asked === undefined ? DEFAULT_RETRY_DELAY_MS : Math.max(0, asked));
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (controller.signal.aborted) throw error;
        if (error instanceof ReplyTooLargeError) throw new AttemptError(error.message, false);
        if (timedOut) throw new AttemptError(`${label} timed out after ${timeoutMs} ms${suffix}`, true);
        const code = networkCode(error);
        throw new AttemptError(`${label} failed while reading the reply${code ? ` (${code})` : ""}`, true);
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new AttemptError(`${label} answered with a malformed body: invalid JSON`, false);
      }
    } finally {
      clearTimeout(timer);
      controller.signal.removeEventListener("abort", onAbort);
    }
  };

  const run = async (): Promise<unknown> => {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof AttemptError)) throw error;
        if (!error.retryable || n >= attempts) throw fail(error.message);
        await sleep(error.delayMs, controller.signal);
      }
    }
  };

  return runWithDeadline(run, options, (_error, state) =>
    fail(
      state.deadlineHit
        ? `${label} did not answer within its ${options.budgetMs} ms budget`
        : `${label} was aborted by the caller`,
    ),
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
