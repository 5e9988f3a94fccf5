/**
 * The verdict webhooks' settings: each numeric one with its default and bounds (the one definition
 * the env reader and the sender use), the signature's header, and the fixed budgets.
 * Platform-neutral, so config readers load no sender code.
 */

/** A whole-number setting with its default and bounds. */
export interface WebhookIntegerSetting {
  default: number;
  min: number;
  max: number;
}

export const WEBHOOK_SETTINGS = {
  /** Time one POST may take before it counts as failed (and is retried). */
  timeoutMs: { default: 10_000, min: 100, max: 60_000 },
  /** POSTs of one batch at most: the first and the retries after a 5xx, 408, 429, timeout or connection error. */
  maxAttempts: { default: 6, min: 1, max: 20 },
  /** Events in one POST at most. */
  batchMax: { default: 100, min: 1, max: 1_000 },
  /** How long an event waits for others to fill its batch while nothing is being sent. */
  flushMs: { default: 1_000, min: 10, max: 60_000 },
  /** Events waiting at most, per receiver; past it new events are dropped (counted, logged). */
  queueMax: { default: 10_000, min: 1, max: 1_000_000 },
} as const satisfies Record<string, WebhookIntegerSetting>;

/** Characters of events waiting at most, per receiver, whatever `queueMax` says (events are written when queued). */
export const WEBHOOK_QUEUE_MAX_BYTES = 64 * 1024 * 1024;

/** Backoff between attempts: full jitter, a random wait up to base × 2^(attempt − 1), at most the cap. */
export const WEBHOOK_RETRY_BASE_MS = 500;
export const WEBHOOK_RETRY_MAX_MS = 30_000;

/** How long a stopping service keeps sending what is queued (after the requests in flight are answered). */
export const WEBHOOK_SHUTDOWN_MS = 5_000;

/** The header with the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (one v1 per secret). */
export const WEBHOOK_SIGNATURE_HEADER = "dify-ext-signature";
/** The header naming a batch: the same on every attempt, so a receiver can drop a repeat. */
export const WEBHOOK_DELIVERY_HEADER = "dify-ext-delivery";
/** How old a signature's timestamp a receiver should accept, in seconds (the documented recipe). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Shortest secret accepted: 16 characters (`openssl rand -hex 32` gives 64). */
export const WEBHOOK_SECRET_MIN_LENGTH = 16;
