/**
 * The operating limits every engine backed by an upstream model shares (OpenAI's moderation
 * endpoint, a self-hosted guard model): numeric options with their bounds, the time budget, the
 * retry delay and the reply cap. SDK-free, so config code can import it without loading `openai`.
 */

/** A whole-number option: its default and the bounds it must lie within. */
export interface IntegerSetting {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Longest wait before a retry. A `retry-after` longer than this is not honoured: the engine
 * fails at once instead (the caller's failure policy applies), because waiting would break the
 * time budget. Without `retry-after` the SDK waits at most 0.5 s.
 */
export const MAX_RETRY_DELAY_MS = 1000;

/**
 * Largest reply body read from an upstream model, as for Open-Meteo's replies: a real moderation
 * reply is a few kilobytes per text, a guard model's chat completion a few hundred bytes. A larger
 * one is an engine failure.
 */
export const MAX_REPLY_BYTES = 512 * 1024;

/**
 * Checks a whole-number option against its {@link IntegerSetting} and returns it, or throws an
 * error naming the engine, the option and its bounds (`OpenAI engine option timeoutMs must be …`).
 */
export function checkIntegerOption(owner: string, value: number, name: string, setting: IntegerSetting): number {
  if (!Number.isInteger(value) || value < setting.min || value > setting.max) {
    throw new RangeError(
      `${owner} option ${name} must be an integer from ${setting.min} to ${setting.max}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Worst-case time an upstream judgement waits before it rejects: every attempt's timeout plus at
 * most {@link MAX_RETRY_DELAY_MS} before each retry, `timeoutMs × (maxRetries + 1) + maxRetries × 1000 ms`.
 */
export function upstreamWorstCaseMs(timeoutMs: number, maxRetries: number): number {
  return timeoutMs * (maxRetries + 1) + maxRetries * MAX_RETRY_DELAY_MS;
}
