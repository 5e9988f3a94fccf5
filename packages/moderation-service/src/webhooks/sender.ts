import { createHash, randomUUID } from "node:crypto";
import type { Logger } from "@dify-ext/receive";
import type { WebhookEvent, WebhookObserver } from "@dify-ext/runtime";
import { EVENT_FORMATS } from "./events.ts";
import {
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_QUEUE_MAX_BYTES,
  WEBHOOK_RETRY_BASE_MS,
  WEBHOOK_RETRY_MAX_MS,
  WEBHOOK_SHUTDOWN_MS,
  WEBHOOK_SIGNATURE_HEADER,
} from "./settings.ts";
import { signatureHeader } from "./signature.ts";
import type { VerdictEventFields, WebhookSink, WebhookTarget } from "./types.ts";

/** How a sender sends: the receiver, its secrets, the settings (WEBHOOK_SETTINGS' bounds). */
export interface WebhookSenderOptions {
  target: WebhookTarget;
  /** Sign with each (none: unsigned, Slack only). */
  secrets: readonly string[];
  timeoutMs: number;
  maxAttempts: number;
  batchMax: number;
  flushMs: number;
  queueMax: number;
  /** The service's name, in every event. */
  service: string;
  logger: Logger;
  observer?: WebhookObserver;
  /** Backoff base and cap (default WEBHOOK_RETRY_BASE_MS, WEBHOOK_RETRY_MAX_MS). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** What a sender has done, for tests and the shutdown line. */
export interface WebhookSenderStats {
  queued: number;
  delivered: number;
  dropped: Record<DropReason, number>;
}

type DropReason = "queue_full" | "rejected" | "retries_exhausted" | "shutdown";

/** A sender: a sink whose queue is sent in batches, and its end. */
export interface WebhookSender extends WebhookSink {
  /** The metrics and log label of its receiver: host and a hash of the URL, never its path. */
  readonly receiver: string;
  stats(): WebhookSenderStats;
  /**
   * Sends what is queued for up to `budgetMs` (default WEBHOOK_SHUTDOWN_MS), then stops: a POST
   * still in flight is aborted, and the events not delivered are counted and logged as dropped.
   */
  close(budgetMs?: number): Promise<void>;
}

/** The longest wait between attempts once the service is stopping: the shutdown budget is better spent trying. */
const CLOSING_RETRY_MS = 250;

/** How soon the drops of a full queue reach the metrics. */
const DROP_REPORT_MS = 1_000;

/** How often the queue-full warning is written while events keep being dropped. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** The label of a receiver: `hooks.slack.com#3fa9c1`: its host and the first 6 hex digits of the URL's SHA-256. */
export function receiverLabel(url: string): string {
  const hash = createHash("sha256").update(url).digest("hex").slice(0, 6);
  let host = "receiver";
  try {
    host = new URL(url).host;
  } catch {}
  return `${host}#${hash}`;
}

type Attempt =
  | { outcome: "ok"; status: number }
  | { outcome: "rejected"; status: number }
  | { outcome: "error" | "timeout"; status?: number; retryAfterMs?: number; detail: string };

/**
 * A verdict-webhook sender for one receiver. `send` is synchronous and constant-time: the event is
 * written (JSON, or a Slack line) and queued, or dropped when the queue is full; the request that
 * produced it never waits. Batches of up to `batchMax` events go out one at a time (so events keep
 * their order), as soon as one is full or `flushMs` after the first event of an idle queue. A
 * batch is retried after a 5xx, 408, 429, timeout or connection error, up to `maxAttempts` POSTs,
 * waiting a random time up to base × 2^(attempt − 1) (full jitter, at most the cap, longer when
 * `Retry-After` asks); a 3xx or another 4xx drops it at once (the receiver refuses it; redirects
 * are not followed). Each attempt is signed anew, and carries the batch's delivery id.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const { target, secrets, logger, observer, service } = options;
  if (target.format === "json" && secrets.length === 0) {
    throw new TypeError(`${target.where}: json events are signed, so a secret is needed`);
  }
  const format = EVENT_FORMATS[target.format];
  const batchMax = format.batchMax(options.batchMax);
  const retryBaseMs = options.retryBaseMs ?? WEBHOOK_RETRY_BASE_MS;
  const retryMaxMs = options.retryMaxMs ?? WEBHOOK_RETRY_MAX_MS;
  const receiver = receiverLabel(target.url);
  const log = logger.child({ webhook: receiver });

  const queue: string[] = [];
  let bytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pumping = false;
  /** A pump is due at the next turn of the event loop. */
  let soon = false;
  let closing = false;
  let closed = false;
  let ending: Promise<void> | undefined;
  /** Aborts the POST in flight and the wait between attempts when the shutdown budget is spent. */
  const stop = new AbortController();
  /** Shortens the wait between attempts when the service starts stopping. */
  const stopping = new AbortController();
  const idleWaiters: Array<() => void> = [];
  let delivered = 0;
  const dropped: Record<DropReason, number> = { queue_full: 0, rejected: 0, retries_exhausted: 0, shutdown: 0 };
  /** Drops of a full queue not yet told to the metrics, and not yet logged. */
  let fullUnreported = 0;
  let fullSinceLog = 0;
  let lastFullLog = 0;
  let fullTimer: ReturnType<typeof setTimeout> | undefined;

  const pending = () => queue.length;
  const report = (event: WebhookEvent) => observer?.observeWebhook(event);
  report({ kind: "queue", receiver, depth: pending });

  function drop(reason: DropReason, count: number): void {
    dropped[reason] += count;
    if (reason !== "queue_full") {
      report({ kind: "events", receiver, outcome: "dropped", reason, count });
      return;
    }
    // A full queue drops every verdict's event: counted here, told to the metrics and the log by a
    // timer, so the drop itself costs a verdict next to nothing.
    fullUnreported += count;
    fullSinceLog += count;
    fullTimer ??= setTimeout(() => reportFull(false), DROP_REPORT_MS).unref();
  }

  /** Tells the metrics the drops of a full queue; logs them at most every DROP_LOG_INTERVAL_MS, or now (`final`). */
  function reportFull(final: boolean): void {
    if (fullTimer) clearTimeout(fullTimer);
    fullTimer = undefined;
    if (fullUnreported > 0) {
      report({ kind: "events", receiver, outcome: "dropped", reason: "queue_full", count: fullUnreported });
      fullUnreported = 0;
    }
    if (fullSinceLog === 0) return;
    const now = Date.now();
    if (final || now - lastFullLog >= DROP_LOG_INTERVAL_MS) {
      log.warn(
        { dropped: fullSinceLog, queueMax: options.queueMax },
        "webhook queue full: verdict events dropped (the receiver is slow or down; dify_ext_webhook_events_total counts them)",
      );
      fullSinceLog = 0;
      lastFullLog = now;
    } else fullTimer = setTimeout(() => reportFull(false), DROP_REPORT_MS).unref();
  }

  /** The next batch, off the queue (so a sent event is garbage at once, not held by the queue). */
  function take(): string[] {
    const batch = queue.splice(0, batchMax);
    for (const event of batch) bytes -= event.length;
    return batch;
  }

  function schedule(): void {
    if (pumping || soon || closed || pending() === 0) return;
    if (pending() >= batchMax || closing) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      // Not now: the verdict that filled the batch is still being answered.
      soon = true;
      setImmediate(() => {
        soon = false;
        pump();
      });
      return;
    }
    timer ??= setTimeout(() => {
      timer = undefined;
      pump();
    }, options.flushMs).unref();
  }

  function pump(): void {
    if (pumping) return;
    if (closed) {
      settle();
      return;
    }
    pumping = true;
    void (async () => {
      try {
        while (pending() > 0 && !closed) await deliver(take());
      } finally {
        pumping = false;
        if (pending() > 0 && !closed) schedule();
        else settle();
      }
    })();
  }

  /** Tells whoever waits for the sender to be idle. */
  function settle(): void {
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  async function post(body: string, delivery: string): Promise<Attempt> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "dify-ext-webhooks/1",
      [WEBHOOK_DELIVERY_HEADER]: delivery,
    };
    if (secrets.length > 0) {
      headers[WEBHOOK_SIGNATURE_HEADER] = signatureHeader(body, Math.floor(Date.now() / 1000), secrets);
    }
    const started = performance.now();
    let attempt: Attempt;
    try {
      const response = await fetch(target.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), stop.signal]),
      });
      // The answer's body is never read: only its status counts.
      await response.body?.cancel().catch(() => {});
      const { status } = response;
      if (status >= 200 && status < 300) attempt = { outcome: "ok", status };
      else if (status === 408 || status === 429 || status >= 500) {
        attempt = {
          outcome: "error",
          status,
          retryAfterMs: retryAfter(response.headers.get("retry-after")),
          detail: `HTTP ${status}`,
        };
      } else attempt = { outcome: "rejected", status };
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      attempt = {
        outcome: timedOut ? "timeout" : "error",
        detail: timedOut
          ? `no answer within ${options.timeoutMs} ms`
          : stop.signal.aborted
            ? "stopped at shutdown"
            : connectionError(error),
      };
    }
    report({ kind: "request", receiver, outcome: attempt.outcome, seconds: (performance.now() - started) / 1000 });
    return attempt;
  }

  async function deliver(batch: string[]): Promise<void> {
    // Once per batch: every attempt sends the same events with the same ids.
    const body = format.batch(batch);
    const delivery = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const result = await post(body, delivery);
      if (result.outcome === "ok") {
        delivered += batch.length;
        report({ kind: "events", receiver, outcome: "delivered", count: batch.length });
        return;
      }
      if (result.outcome === "rejected") {
        drop("rejected", batch.length);
        log.error(
          { status: result.status, events: batch.length },
          result.status >= 300 && result.status < 400
            ? "webhook receiver redirected; redirects are not followed: events dropped"
            : "webhook receiver refused the events: dropped",
        );
        return;
      }
      if (closed) {
        drop("shutdown", batch.length);
        return;
      }
      if (attempt >= options.maxAttempts) {
        drop("retries_exhausted", batch.length);
        log.error(
          { attempts: attempt, events: batch.length, last: result.detail },
          "webhook receiver failed every attempt: events dropped",
        );
        return;
      }
      if (attempt === 1) {
        log.warn({ events: batch.length, error: result.detail }, "webhook receiver failed; retrying with backoff");
      }
      await pause(backoff(attempt, result.retryAfterMs));
      if (closed) {
        drop("shutdown", batch.length);
        return;
      }
    }
  }

  function backoff(attempt: number, retryAfterMs: number | undefined): number {
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
    const jittered = Math.random() * ceiling;
    return Math.min(retryMaxMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  /** Waits between attempts; once the service is stopping, at most CLOSING_RETRY_MS (the budget is short). */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(wait);
        stop.signal.removeEventListener("abort", done);
        stopping.signal.removeEventListener("abort", shorten);
        resolve();
      };
      const shorten = () => {
        clearTimeout(wait);
        wait = setTimeout(done, CLOSING_RETRY_MS);
      };
      let wait = setTimeout(done, closing ? Math.min(ms, CLOSING_RETRY_MS) : ms);
      stop.signal.addEventListener("abort", done, { once: true });
      stopping.signal.addEventListener("abort", shorten, { once: true });
    });
  }

  function whenIdle(): Promise<void> {
    if (!pumping && !soon && (pending() === 0 || closed)) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  /** Sends what is queued for up to `budgetMs`, then stops: what is left is counted and logged as lost. */
  async function end(budgetMs: number): Promise<void> {
    closing = true;
    stopping.abort();
    schedule();
    let budget: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([whenIdle(), new Promise<void>((resolve) => (budget = setTimeout(resolve, budgetMs)))]);
    clearTimeout(budget);
    closed = true;
    if (timer) clearTimeout(timer);
    stop.abort();
    await whenIdle();
    const left = pending();
    if (left > 0) {
      drop("shutdown", left);
      queue.length = 0;
      bytes = 0;
    }
    reportFull(true);
    const lost = dropped.shutdown;
    if (lost > 0) {
      log.warn({ events: lost, budgetMs }, "webhook: verdict events not delivered before shutdown");
    }
  }

  return {
    receiver,
    send(fields: VerdictEventFields, reqId: string) {
      if (closed || closing) {
        drop("shutdown", 1);
        return;
      }
      if (pending() >= options.queueMax || bytes >= WEBHOOK_QUEUE_MAX_BYTES) {
        drop("queue_full", 1);
        return;
      }
      // Written when queued: a string is one object for the garbage collector to walk, where the
      // fields are a dozen (a full queue of field objects cost more CPU per call in
      // bench/src/webhook-paired-bench.ts).
      const event = format.write(fields, reqId, service, Date.now());
      queue.push(event);
      bytes += event.length;
      schedule();
    },
    stats: () => ({ queued: pending(), delivered, dropped: { ...dropped } }),
    close(budgetMs = WEBHOOK_SHUTDOWN_MS) {
      // Once: a second call waits for the first.
      ending ??= end(budgetMs);
      return ending;
    },
  };
}

/** `Retry-After` in milliseconds: seconds, or an HTTP date. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** A connection error's code (`ECONNREFUSED`), never its message: that may hold the URL. */
function connectionError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? `connection error ${cause.code}` : "connection error";
}
