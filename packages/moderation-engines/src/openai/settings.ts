/**
 * OpenAI moderation settings that need no SDK: the categories, every option's default and bounds,
 * and the time budget. Config code imports these without loading the `openai` package.
 */
import { checkIntegerOption, type IntegerSetting, upstreamWorstCaseMs } from "../upstream/settings.ts";

export { type IntegerSetting, MAX_REPLY_BYTES, MAX_RETRY_DELAY_MS } from "../upstream/settings.ts";

/** The 13 categories of `omni-moderation-latest`, the names `thresholds` accepts. */
export const OMNI_MODERATION_CATEGORIES = [
  "harassment",
  "harassment/threatening",
  "hate",
  "hate/threatening",
  "illicit",
  "illicit/violent",
  "self-harm",
  "self-harm/intent",
  "self-harm/instructions",
  "sexual",
  "sexual/minors",
  "violence",
  "violence/graphic",
] as const;

export type OmniModerationCategory = (typeof OMNI_MODERATION_CATEGORIES)[number];

/**
 * OpenAI's categories in the one vocabulary (docs/categories.md). A category a newer model adds is
 * `other` until it is listed here.
 */
export const OPENAI_CATEGORY_MAP: Readonly<Record<OmniModerationCategory, string>> = {
  harassment: "harassment",
  "harassment/threatening": "harassment.threatening",
  hate: "hate",
  "hate/threatening": "hate.threatening",
  illicit: "illicit",
  "illicit/violent": "illicit.violent",
  "self-harm": "self-harm",
  "self-harm/intent": "self-harm.intent",
  "self-harm/instructions": "self-harm.instructions",
  sexual: "sexual",
  "sexual/minors": "sexual.minors",
  violence: "violence",
  "violence/graphic": "violence.graphic",
};

/** Moderation model used when none is given. */
export const DEFAULT_MODEL = "omni-moderation-latest";

/**
 * Every numeric option of the OpenAI engine with its default and bounds: the one definition that
 * the engine's own option check and the apps' env parser (OPENAI_TIMEOUT_MS etc.) both use.
 */
export const OPENAI_SETTINGS = {
  /**
   * Timeout of one upstream attempt (the SDK's own default is 10 minutes). At most 29 s: with the
   * one retry, the worst case ({@link openAIWorstCaseMs}: 2 × 29 s + 1 s) stays under the 60 s
   * after which Dify gives up on the extension, so the failure policy still gets to answer.
   */
  timeoutMs: { default: 4000, min: 100, max: 29_000 },
  /** Retries after a failed attempt (timeouts, connection errors, 408/409/429/5xx). */
  maxRetries: { default: 1, min: 0, max: 1 },
  /** Cached verdicts; 0 disables the cache. */
  cacheMax: { default: 10_000, min: 0, max: 1_000_000 },
  /** Lifetime of a cached verdict: 10 minutes by default, at most a day. */
  cacheTtlMs: { default: 10 * 60 * 1000, min: 1, max: 24 * 60 * 60 * 1000 },
  /** Total length of the cached texts in UTF-16 code units (10 million: about 20 MB). */
  cacheMaxChars: { default: 10_000_000, min: 1, max: 1_000_000_000 },
} as const satisfies Record<string, IntegerSetting>;

/**
 * Checks a whole-number option against its {@link IntegerSetting} and returns it, or throws an
 * error naming the option and its bounds.
 */
export function checkIntegerSetting(value: number, name: string, setting: IntegerSetting): number {
  return checkIntegerOption("OpenAI engine", value, name, setting);
}

/**
 * Worst-case time a `moderate()` call waits for upstream before it rejects:
 * `timeoutMs × (maxRetries + 1) + maxRetries × 1000 ms`. With the defaults, 9000 ms.
 */
export function openAIWorstCaseMs(
  timeoutMs: number = OPENAI_SETTINGS.timeoutMs.default,
  maxRetries: number = OPENAI_SETTINGS.maxRetries.default,
): number {
  return upstreamWorstCaseMs(timeoutMs, maxRetries);
}

/** Throws an error naming `where` unless `category` is one of {@link OMNI_MODERATION_CATEGORIES}. */
export function checkCategory(category: string, where: string): void {
  if (!(OMNI_MODERATION_CATEGORIES as readonly string[]).includes(category)) {
    throw new Error(
      `${where}: unknown category "${category}"; known categories: ${OMNI_MODERATION_CATEGORIES.join(", ")}`,
    );
  }
}

/** Throws an error naming `where` unless `score` is a number from 0 to 1. */
export function checkScore(score: number, where: string): void {
  if (!Number.isFinite(score) || score < 0 || score > 1) {
    throw new Error(`${where}: the score must be a number from 0 to 1`);
  }
}
