/**
 * OpenAI moderation settings that need no SDK: the categories, defaults, the threshold syntax and
 * the time budget. Config code imports these without loading the `openai` package.
 */
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

export const DEFAULT_MODEL = "omni-moderation-latest";
export const DEFAULT_TIMEOUT_MS = 4000;
export const DEFAULT_MAX_RETRIES = 1;
export const DEFAULT_CACHE_MAX = 10_000;
export const DEFAULT_CACHE_TTL_MS = 10 * 60 * 1000;
/** Default bound on the cached texts' total length, in UTF-16 code units (about 20 MB). */
export const DEFAULT_CACHE_MAX_CHARS = 10_000_000;
/**
 * Longest wait before a retry. A `retry-after` longer than this is not honoured: the engine
 * fails at once instead (the caller's failure policy applies), because waiting would break the
 * time budget. Without `retry-after` the SDK waits at most 0.5 s.
 */
export const MAX_RETRY_DELAY_MS = 1000;
/**
 * Largest reply body read from the moderation endpoint, as for Open-Meteo's replies: a real reply
 * for the largest batch Dify sends is a few kilobytes per text. A larger one is an engine failure.
 */
export const MAX_REPLY_BYTES = 512 * 1024;
/** Longest accepted per-attempt timeout: Dify gives up on the extension after 60 s. */
export const MAX_TIMEOUT_MS = 60_000;


/**
 * Worst-case time a `moderate()` call waits for upstream before it rejects:
 * `timeoutMs × (maxRetries + 1) + maxRetries × 1000 ms`. With the defaults, 9000 ms.
 */
export function openAIWorstCaseMs(timeoutMs = DEFAULT_TIMEOUT_MS, maxRetries = DEFAULT_MAX_RETRIES): number {
  return timeoutMs * (maxRetries + 1) + maxRetries * MAX_RETRY_DELAY_MS;
}

/**
 * Parses thresholds in env syntax, `violence=0.7,sexual=0.9` (spaces allowed, empty string →
 * none). Throws an error naming the bad part: a missing `=`, an unknown category (the message
 * lists the 13 valid ones), a value that is not a number in 0..1, or a repeated category.
 */
export function parseThresholds(spec: string): Record<string, number> {
  const thresholds: Record<string, number> = {};
  for (const rawPart of spec.split(",")) {
    const part = rawPart.trim();
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq === -1) throw new Error(`threshold "${part}" must look like category=score, e.g. violence=0.7`);
    const category = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    checkCategory(category, `threshold "${part}"`);
    if (Object.hasOwn(thresholds, category)) throw new Error(`threshold "${part}": category "${category}" is given twice`);
    const score = value === "" ? Number.NaN : Number(value);
    checkScore(score, `threshold "${part}"`);
    thresholds[category] = score;
  }
  return thresholds;
}

export function checkCategory(category: string, where: string): void {
  if (!(OMNI_MODERATION_CATEGORIES as readonly string[]).includes(category)) {
    throw new Error(
      `${where}: unknown category "${category}"; known categories: ${OMNI_MODERATION_CATEGORIES.join(", ")}`,
    );
  }
}

export function checkScore(score: number, where: string): void {
  if (!Number.isFinite(score) || score < 0 || score > 1) {
    throw new Error(`${where}: the score must be a number from 0 to 1`);
  }
}
