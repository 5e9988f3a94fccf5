/**
 * The operating limits every engine backed by an upstream model shares (OpenAI's moderation
 * endpoint, a self-hosted guard model): numeric options with their bounds, the time budget, the
 * retry delay and the reply cap, the options they all take and how they are read. SDK-free, so
 * config code can import it without loading `openai`.
 */
import type { UpstreamEvent } from "../engine.ts";
import type { SharedStore } from "../shared.ts";
import type { WarnLogger } from "./fetch.ts";

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
 * The retry and cache rows every settings table of an engine backed by a model server holds; each
 * table adds its own timeout (the default differs with the model) and whatever else it needs.
 */
export const UPSTREAM_SETTINGS = {
  /** Retries after a failed attempt (timeouts, connection errors, 408/409/429/5xx). */
  maxRetries: { default: 1, min: 0, max: 1 },
  /** Cached verdicts; 0 disables the cache. */
  cacheMax: { default: 10_000, min: 0, max: 1_000_000 },
  /** Lifetime of a cached verdict: 10 minutes by default, at most a day. */
  cacheTtlMs: { default: 10 * 60 * 1000, min: 1, max: 24 * 60 * 60 * 1000 },
  /** Total length of the cached texts in UTF-16 code units (10 million: about 20 MB). */
  cacheMaxChars: { default: 10_000_000, min: 1, max: 1_000_000_000 },
} as const satisfies Record<string, IntegerSetting>;

/** The options every engine that calls a model server through the `openai` SDK takes. */
export interface UpstreamEngineOptions {
  /** Timeout of one upstream attempt in ms; default and bounds in the engine's settings table. */
  timeoutMs?: number;
  /** Retries after a failed attempt (timeouts, connection errors, 408/409/429/5xx): 0 or 1 (default). */
  maxRetries?: number;
  /**
   * Verdict cache. `max`: entries (0 disables the cache), `ttlMs`: lifetime, `maxChars`: total
   * length of cached texts in code units. Defaults and bounds: the engine's settings table.
   */
  cache?: { max?: number; ttlMs?: number; maxChars?: number };
  /** Receives warnings (retry-after beyond the budget, and the engine's own); never text or secrets. */
  logger?: WarnLogger;
  /** `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
  /** Told about every upstream call (outcome, duration) and cache lookup, for metrics. */
  onUpstream?: (event: UpstreamEvent) => void;
  /**
   * The store replicas share (SHARED_STATE_URL): verdicts are looked up there before the model is
   * asked, and written there once judged. Only with the cache on (`cache.max` above 0).
   */
  shared?: SharedStore;
}

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

/** Reads one numeric option of an engine: the value given, else its default, checked against its bounds. */
export type SettingReader<K extends string> = (name: K, value: number | undefined, label?: string) => number;

/**
 * The {@link SettingReader} of an engine's settings table; errors name `owner` (`Guard engine`).
 * `check` is {@link checkIntegerOption} unless the table has other kinds of numbers.
 */
export function settingReader<S extends Record<string, IntegerSetting>>(
  owner: string,
  settings: S,
  check: (owner: string, value: number, name: string, setting: S[keyof S & string]) => number = checkIntegerOption,
): SettingReader<keyof S & string> {
  return (name, value, label = name) => {
    const setting = settings[name]!;
    return check(owner, value ?? setting.default, label, setting);
  };
}

/** The time and cache options of {@link UpstreamEngineOptions}, checked, with the time budget they give. */
export function readUpstreamOptions(
  setting: SettingReader<"timeoutMs" | "maxRetries" | "cacheMax" | "cacheTtlMs" | "cacheMaxChars">,
  options: UpstreamEngineOptions,
) {
  const timeoutMs = setting("timeoutMs", options.timeoutMs);
  const maxRetries = setting("maxRetries", options.maxRetries);
  return {
    timeoutMs,
    maxRetries,
    budgetMs: upstreamWorstCaseMs(timeoutMs, maxRetries),
    cache: {
      max: setting("cacheMax", options.cache?.max, "cache.max"),
      ttlMs: setting("cacheTtlMs", options.cache?.ttlMs, "cache.ttlMs"),
      maxChars: setting("cacheMaxChars", options.cache?.maxChars, "cache.maxChars"),
    },
  };
}
