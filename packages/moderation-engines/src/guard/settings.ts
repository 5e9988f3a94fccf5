/**
 * Guard-model settings that need no SDK: the model families and their categories, every numeric
 * option's default and bounds, and the time budget. Config code imports these without loading the
 * `openai` package. See docs/engine-guard.md.
 */
import type { ModerationPoint } from "../engine.ts";
import { type IntegerSetting, upstreamWorstCaseMs } from "../upstream/settings.ts";

export type { IntegerSetting } from "../upstream/settings.ts";

/** The reply formats the engine speaks, one per model family. */
export const GUARD_FORMATS = ["llama-guard", "qwen3guard", "shieldgemma"] as const;
export type GuardFormat = (typeof GUARD_FORMATS)[number];

/**
 * One category of a family: the id used in config and logs, the name its model card uses, and its
 * category in the one vocabulary (docs/categories.md).
 */
export interface GuardCategory {
  readonly id: string;
  readonly name: string;
  readonly category: string;
}

/**
 * The categories of each family, from the model cards:
 * - Llama Guard 3 and 4: the MLCommons hazard taxonomy, S1–S14.
 * - Qwen3Guard-Gen: the nine categories of its safety policy (Jailbreak is judged on input only).
 * - ShieldGemma: the four harm types it was trained on, each a policy in its prompt.
 */
export const GUARD_CATEGORIES: Readonly<Record<GuardFormat, readonly GuardCategory[]>> = {
  "llama-guard": [
    { id: "S1", name: "Violent Crimes", category: "illicit.violent" },
    { id: "S2", name: "Non-Violent Crimes", category: "illicit" },
    { id: "S3", name: "Sex-Related Crimes", category: "illicit.sexual" },
    { id: "S4", name: "Child Sexual Exploitation", category: "sexual.minors" },
    { id: "S5", name: "Defamation", category: "defamation" },
    { id: "S6", name: "Specialized Advice", category: "specialized-advice" },
    { id: "S7", name: "Privacy", category: "privacy" },
    { id: "S8", name: "Intellectual Property", category: "intellectual-property" },
    { id: "S9", name: "Indiscriminate Weapons", category: "weapons" },
    { id: "S10", name: "Hate", category: "hate" },
    { id: "S11", name: "Suicide & Self-Harm", category: "self-harm" },
    { id: "S12", name: "Sexual Content", category: "sexual" },
    { id: "S13", name: "Elections", category: "elections" },
    { id: "S14", name: "Code Interpreter Abuse", category: "code-abuse" },
  ],
  qwen3guard: [
    { id: "violent", name: "Violent", category: "violence" },
    { id: "non-violent-illegal-acts", name: "Non-violent Illegal Acts", category: "illicit" },
    { id: "sexual-content", name: "Sexual Content or Sexual Acts", category: "sexual" },
    { id: "pii", name: "PII", category: "privacy" },
    { id: "suicide-self-harm", name: "Suicide & Self-Harm", category: "self-harm" },
    { id: "unethical-acts", name: "Unethical Acts", category: "unethical" },
    { id: "politically-sensitive", name: "Politically Sensitive Topics", category: "political" },
    { id: "copyright-violation", name: "Copyright Violation", category: "intellectual-property" },
    { id: "jailbreak", name: "Jailbreak", category: "injection.jailbreak" },
  ],
  shieldgemma: [
    { id: "dangerous-content", name: "Dangerous Content", category: "dangerous" },
    { id: "harassment", name: "Harassment", category: "harassment" },
    { id: "hate-speech", name: "Hate Speech", category: "hate" },
    { id: "sexually-explicit", name: "Sexually Explicit Information", category: "sexual" },
  ],
};

/**
 * The category of an unsafe verdict that names no known category (a reply cut short after
 * `unsafe`, or a code the model invented). It always blocks: the model did say the text is unsafe.
 */
export const UNSPECIFIED_CATEGORY = "unspecified";

/**
 * Each family's ids in the one vocabulary, from {@link GUARD_CATEGORIES}; an unsafe verdict naming
 * no known category is `unspecified`, and Qwen3Guard's `controversial` (a level, not a category)
 * is an engine rule only.
 */
export const GUARD_CATEGORY_MAPS: Readonly<Record<GuardFormat, Readonly<Record<string, string>>>> = Object.fromEntries(
  Object.entries(GUARD_CATEGORIES).map(([format, categories]) => [
    format,
    Object.fromEntries([
      ...categories.map((category) => [category.id, category.category]),
      [UNSPECIFIED_CATEGORY, "unspecified"],
    ]),
  ]),
) as Record<GuardFormat, Record<string, string>>;

/** What a Qwen3Guard `Controversial` verdict does: judged like `Unsafe` (`block`), or let through (`pass`). */
export type ControversialAction = "block" | "pass";
export const DEFAULT_CONTROVERSIAL: ControversialAction = "block";

/**
 * Every numeric option of the guard engine with its default and bounds: the one definition that the
 * engine's own option check and the apps' env parser (GUARD_TIMEOUT_MS etc.) both use.
 */
export const GUARD_SETTINGS = {
  /**
   * Timeout of one upstream attempt. At most 29 s: with the one retry, the worst case
   * ({@link guardWorstCaseMs}: 2 × 29 s + 1 s) stays under the 60 s after which Dify gives up on the
   * extension. Higher than OpenAI's 4 s: a self-hosted model may share its GPU, or run on a CPU.
   */
  timeoutMs: { default: 5000, min: 100, max: 29_000 },
  /** Retries after a failed attempt (timeouts, connection errors, 408/409/429/5xx). */
  maxRetries: { default: 1, min: 0, max: 1 },
  /** Cached window verdicts; 0 disables the cache. */
  cacheMax: { default: 10_000, min: 0, max: 1_000_000 },
  /** Lifetime of a cached verdict: 10 minutes by default, at most a day. */
  cacheTtlMs: { default: 10 * 60 * 1000, min: 1, max: 24 * 60 * 60 * 1000 },
  /** Total length of the cached windows in UTF-16 code units (10 million: about 20 MB). */
  cacheMaxChars: { default: 10_000_000, min: 1, max: 1_000_000_000 },
  /**
   * Longest text judged in one request, in UTF-16 code units. 4,000 fits the smallest context of the
   * supported families (ShieldGemma's 8,192 tokens) with room for its prompt even for Chinese or
   * Japanese text at about one token per character.
   */
  windowChars: { default: 4000, min: 200, max: 200_000 },
  /**
   * How much consecutive windows share, so a sentence cut by one window's end is whole in the next.
   * Must be less than half the window.
   */
  windowOverlapChars: { default: 400, min: 0, max: 100_000 },
  /** Requests the engine has in flight to the model at most; further windows wait their turn. */
  maxConcurrency: { default: 8, min: 1, max: 256 },
} as const satisfies Record<string, IntegerSetting>;

/**
 * Worst-case time a `moderate()` call waits for the model before it rejects:
 * `timeoutMs × (maxRetries + 1) + maxRetries × 1000 ms`, for all windows of the call together.
 * With the defaults, 11,000 ms.
 */
export function guardWorstCaseMs(
  timeoutMs: number = GUARD_SETTINGS.timeoutMs.default,
  maxRetries: number = GUARD_SETTINGS.maxRetries.default,
): number {
  return upstreamWorstCaseMs(timeoutMs, maxRetries);
}

/**
 * The family of a model from its name (`llama-guard3:8b`, `meta-llama/Llama-Guard-4-12B`,
 * `Qwen/Qwen3Guard-Gen-4B`, `shieldgemma:2b`), or `undefined` when the name says nothing. Throws
 * for Qwen3Guard-Stream, which classifies tokens and has no chat endpoint.
 */
export function inferGuardFormat(model: string): GuardFormat | undefined {
  const name = model.toLowerCase();
  if (/llama[-_ ]?guard/.test(name)) return "llama-guard";
  if (/qwen3?[-_ ]?guard/.test(name)) {
    if (name.includes("stream")) {
      throw new Error(
        `model "${model.slice(0, 100)}" is a Qwen3Guard-Stream model, which has no chat endpoint; serve Qwen3Guard-Gen`,
      );
    }
    return "qwen3guard";
  }
  if (/shield[-_ ]?gemma/.test(name)) return "shieldgemma";
  return undefined;
}

/**
 * The id of a family's category given by id or by name, in any case (`s10`, `Hate`, `PII`,
 * `Suicide & Self-Harm`), or `undefined` when the family has no such category.
 */
export function guardCategoryId(format: GuardFormat, given: string): string | undefined {
  const wanted = given.trim().toLowerCase();
  const found = GUARD_CATEGORIES[format].find(
    (category) => category.id.toLowerCase() === wanted || category.name.toLowerCase() === wanted,
  );
  return found?.id;
}

/** The engine's settings after checking, for logs and docs. */
export interface ResolvedGuardSettings {
  format: GuardFormat;
  categories: Record<ModerationPoint, string[]>;
}

/**
 * Checks the format and categories of guard options and returns them resolved (ids, format
 * inferred), or throws an error naming the option. The config readers use it too, so a bad
 * category is reported at start-up.
 */
export function resolveGuardSettings(options: {
  model: string;
  format?: GuardFormat;
  categories?: { input?: readonly string[]; output?: readonly string[] };
}): ResolvedGuardSettings {
  if (typeof options.model !== "string" || options.model.trim() === "") {
    throw new Error(`Guard engine option model is required and must not be empty`);
  }
  let format = options.format;
  if (format !== undefined && !(GUARD_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`Guard engine option format must be one of ${GUARD_FORMATS.join(", ")}`);
  }
  format ??= inferGuardFormat(options.model);
  if (format === undefined) {
    throw new Error(
      `cannot tell the guard model's format from its name "${options.model.slice(0, 100)}"; set the format to one of ${GUARD_FORMATS.join(", ")}`,
    );
  }
  const resolved = (point: ModerationPoint): string[] => {
    const given = options.categories?.[point];
    if (given === undefined) return GUARD_CATEGORIES[format].map((category) => category.id);
    const ids: string[] = [];
    for (const name of given) {
      const id = guardCategoryId(format, name);
      if (id === undefined) {
        throw new Error(
          `unknown ${format} category "${name.slice(0, 60)}"; known: ${GUARD_CATEGORIES[format].map((c) => `${c.id} (${c.name})`).join(", ")}`,
        );
      }
      if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  };
  return { format, categories: { input: resolved("input"), output: resolved("output") } };
}
