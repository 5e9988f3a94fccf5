/**
 * `fetch` wrappers that keep an SDK-driven upstream call inside its time and memory budget, shared
 * by every engine that calls a model through the `openai` SDK (OpenAI's moderation endpoint, a
 * guard model's chat endpoint).
 */
import { MAX_REPLY_BYTES, MAX_RETRY_DELAY_MS } from "./settings.ts";

/** A pino-like logger; only `warn` is used, never with text or secrets. */
export interface WarnLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** A reply body that passed {@link MAX_REPLY_BYTES}; reading it stopped there. */
export class ReplyTooLargeError extends Error {
  override readonly name = "ReplyTooLargeError";
  /** @param label what answered, for the message: `OpenAI moderation`, `The guard model`. */
  constructor(label: string) {
    super(`${label} answered with a reply larger than ${MAX_REPLY_BYTES} bytes`);
  }
}

/**
 * Wraps `fetch` so that a retryable error reply asking to wait longer than
 * {@link MAX_RETRY_DELAY_MS} (`retry-after-ms` / `retry-after`) is marked `x-should-retry:
 * false`: the SDK then fails at once instead of sleeping past the budget. `engine` and `label`
 * name the upstream in the warning.
 */
export function boundedRetryFetch(
  baseFetch: typeof fetch,
  logger: WarnLogger | undefined,
  engine: string,
  label: string,
): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (response.ok) return response;
    const delayMs = requestedRetryDelayMs(response.headers);
    if (delayMs === undefined || delayMs <= MAX_RETRY_DELAY_MS) return response;
    logger?.warn(
      { engine, status: response.status, retryAfterMs: Math.round(delayMs) },
      `${label} asked to retry later than the time budget allows; not retrying`,
    );
    const headers = new Headers(response.headers);
    headers.set("x-should-retry", "false");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/**
 * Wraps `fetch` so that no reply body is read past {@link MAX_REPLY_BYTES}: a larger declared
 * `content-length` fails at once, and a body without one fails as soon as it passes the cap. The
 * SDK then rejects with {@link ReplyTooLargeError} while parsing, and the engine reports it as
 * unavailable. Without the cap, a reply of a few megabytes costs hundreds of megabytes of memory.
 */
export function cappedReplyFetch(baseFetch: typeof fetch, label: string): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (!response.body) return response;
    const upstream = response.body;
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    let body: ReadableStream<Uint8Array>;
    if (declared > MAX_REPLY_BYTES) {
      upstream.cancel().catch(() => {});
      body = new ReadableStream({ start: (controller) => controller.error(new ReplyTooLargeError(label)) });
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
            return controller.error(new ReplyTooLargeError(label));
          }
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
    }
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** The wait an error reply asks for (`retry-after-ms`, `retry-after` in seconds or as a date), in ms. */
export function requestedRetryDelayMs(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms)) return ms;
  const retryAfter = headers.get("retry-after");
  if (retryAfter === null) return undefined;
  const seconds = Number.parseFloat(retryAfter);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? date - Date.now() : undefined;
}

/** What an error status usually means, for messages: ` (check the API key)`, ` (rate limited)` or nothing. */
export function statusHint(status: number): string {
  if (status === 401 || status === 403) return " (check the API key)";
  if (status === 429) return " (rate limited)";
  return "";
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A Node/undici error code (`ECONNREFUSED`, `UND_ERR_SOCKET`) found in an error's cause chain. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isObject(current); depth++) {
    const code = current.code;
    if (typeof code === "string" && /^[A-Z][A-Z_]+$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}
