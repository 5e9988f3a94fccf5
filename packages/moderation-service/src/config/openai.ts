import {
  checkCategory,
  checkScore,
  DEFAULT_MODEL,
  type IntegerSetting,
  OPENAI_SETTINGS,
} from "@dify-ext/moderation-engines/openai/settings";
import { ConfigError, type Env, integerVar, parseEnv } from "@dify-ext/runtime";
import { z } from "zod";

/** An env var for one of the engine's numeric options, with the engine's own default and bounds. */
const settingVar = (setting: IntegerSetting) => integerVar(setting.default, setting.min, setting.max);

/**
 * Parses thresholds in env syntax, `violence=0.7,sexual=0.9` (spaces allowed, empty string →
 * none). Throws an error naming the bad part: a missing `=`, an unknown category (the message
 * lists the 13 valid ones), a value that is not a number in 0..1, or a repeated category.
 */
export function parseThresholds(spec: string): Record<string, number> {
  const thresholds = new Map<string, number>();
  for (const rawPart of spec.split(",")) {
    const part = rawPart.trim();
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq === -1) throw new Error(`threshold "${part}" must look like category=score, e.g. violence=0.7`);
    const category = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    checkCategory(category, `threshold "${part}"`);
    if (thresholds.has(category)) throw new Error(`threshold "${part}": category "${category}" is given twice`);
    const score = value === "" ? Number.NaN : Number(value);
    checkScore(score, `threshold "${part}"`);
    thresholds.set(category, score);
  }
  return Object.fromEntries(thresholds);
}

/** The OpenAI engine's variables; numeric ones take their default and bounds from `OPENAI_SETTINGS`. */
export const openaiEnvSchema = z.object({
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.url({ error: "expected a URL such as https://api.openai.com/v1" }).optional(),
  OPENAI_MODERATION_MODEL: z.string().default(DEFAULT_MODEL),
  OPENAI_TIMEOUT_MS: settingVar(OPENAI_SETTINGS.timeoutMs),
  OPENAI_MAX_RETRIES: settingVar(OPENAI_SETTINGS.maxRetries),
  OPENAI_THRESHOLDS: z
    .string()
    .transform((spec, ctx) => {
      try {
        return parseThresholds(spec);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  OPENAI_CACHE_MAX: settingVar(OPENAI_SETTINGS.cacheMax),
  OPENAI_CACHE_TTL_MS: settingVar(OPENAI_SETTINGS.cacheTtlMs),
});

/** The OpenAI engine's settings. */
export interface OpenAISettings {
  /** Absent outside production when OPENAI_API_KEY is not set: calls then fail by policy. */
  apiKey: string | undefined;
  baseURL: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  thresholds: Record<string, number>;
  cache: { max: number; ttlMs: number };
}

/**
 * Reads the OpenAI engine's variables; throws a `ConfigError` naming each bad one. OPENAI_API_KEY
 * is required with NODE_ENV=production (a secret never has a production default).
 */
export function readOpenAISettings(env: Env): OpenAISettings {
  const problems: string[] = [];
  if (!env.OPENAI_API_KEY?.trim() && env.NODE_ENV?.trim() === "production") {
    problems.push("OPENAI_API_KEY: required by the openai engine with NODE_ENV=production");
  }
  let app: z.output<typeof openaiEnvSchema> | undefined;
  try {
    app = parseEnv(openaiEnvSchema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.push(problem);
  }
  if (problems.length > 0 || !app) throw new ConfigError(problems);
  return {
    apiKey: app.OPENAI_API_KEY,
    baseURL: app.OPENAI_BASE_URL,
    model: app.OPENAI_MODERATION_MODEL,
    timeoutMs: app.OPENAI_TIMEOUT_MS,
    maxRetries: app.OPENAI_MAX_RETRIES,
    thresholds: app.OPENAI_THRESHOLDS ?? {},
    cache: { max: app.OPENAI_CACHE_MAX, ttlMs: app.OPENAI_CACHE_TTL_MS },
  };
}
