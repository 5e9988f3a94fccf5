import {
  checkCategory,
  checkScore,
  DEFAULT_MODEL,
  type IntegerSetting,
  OPENAI_SETTINGS,
} from "@dify-ext/moderation-engines/openai/settings";
import { ConfigError, type Env, integerVar, parseEnvInto, parsedBy } from "@dify-ext/runtime";
import { z } from "zod";
import { defineEngine, engineThatCannotJudge } from "../engine-module.ts";

declare module "../config/read.ts" {
  interface EngineSettings {
    openai?: OpenAISettings;
  }
}

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

/** Per-category thresholds in the policy file, checked like OPENAI_THRESHOLDS. */
const thresholds = z.record(z.string(), z.number()).superRefine((value, ctx) => {
  for (const [category, score] of Object.entries(value)) {
    try {
      checkCategory(category, "threshold");
      checkScore(score, `threshold ${category}`);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message, path: [category] });
    }
  }
});

/** The OpenAI engine's variables; numeric ones take their default and bounds from `OPENAI_SETTINGS`. */
const env = z.object({
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.url({ error: "expected a URL such as https://api.openai.com/v1" }).optional(),
  OPENAI_MODERATION_MODEL: z.string().default(DEFAULT_MODEL),
  OPENAI_TIMEOUT_MS: settingVar(OPENAI_SETTINGS.timeoutMs),
  OPENAI_MAX_RETRIES: settingVar(OPENAI_SETTINGS.maxRetries),
  OPENAI_THRESHOLDS: z.string().transform(parsedBy(parseThresholds)).optional(),
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
function read(source: Env): OpenAISettings {
  const problems: string[] = [];
  if (!source.OPENAI_API_KEY?.trim() && source.NODE_ENV?.trim() === "production") {
    problems.push("OPENAI_API_KEY: required by the openai engine with NODE_ENV=production");
  }
  const app = parseEnvInto(env, source, problems);
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

const ms = (value: number) => `\`${value}\``;

/**
 * OpenAI's moderation API (`omni-moderation-latest`): the meaning of a text in 13 categories, one
 * request per Dify call, cached. Without OPENAI_API_KEY (outside production) it builds anyway: the
 * app reports not ready and every call goes to the failure policy.
 */
export const openai = defineEngine<OpenAISettings, { thresholds?: Record<string, number> }>({
  name: "openai",
  rank: 40,
  summary: "OpenAI's moderation API: the meaning of a text, 13 categories, in any language",
  docs: "app-moderation-openai.md",
  env,
  variables: {
    OPENAI_API_KEY: {
      default: "none; **required** with `NODE_ENV=production`",
      meaning: "sent to OpenAI as `Authorization: Bearer`; never logged",
    },
    OPENAI_BASE_URL: {
      default: "`https://api.openai.com/v1`",
      meaning: "a URL including `/v1`, for a proxy, gateway or other server speaking `POST /v1/moderations`",
    },
    OPENAI_MODERATION_MODEL: { default: `\`${DEFAULT_MODEL}\``, meaning: "the `text-moderation-*` models are retired" },
    OPENAI_TIMEOUT_MS: {
      default: ms(OPENAI_SETTINGS.timeoutMs.default),
      meaning: `timeout of one upstream attempt, ${OPENAI_SETTINGS.timeoutMs.min} to ${OPENAI_SETTINGS.timeoutMs.max} (so that with the retry the worst case stays under Dify's 60 s)`,
    },
    OPENAI_MAX_RETRIES: {
      default: ms(OPENAI_SETTINGS.maxRetries.default),
      meaning: "`0` or `1`: one retry after a timeout, a connection error, 408, 409, 429 or 5xx",
    },
    OPENAI_THRESHOLDS: {
      default: "none",
      meaning:
        "per-category score thresholds, `violence=0.7,sexual=0.9`: a category with a threshold is flagged iff its score ≥ the threshold, the others iff OpenAI flags them ([details](engine-openai.md#thresholds))",
    },
    OPENAI_CACHE_MAX: {
      default: ms(OPENAI_SETTINGS.cacheMax.default),
      meaning: `verdicts cached (${OPENAI_SETTINGS.cacheMax.min} to ${OPENAI_SETTINGS.cacheMax.max}); \`0\` disables the cache`,
    },
    OPENAI_CACHE_TTL_MS: {
      default: ms(OPENAI_SETTINGS.cacheTtlMs.default),
      meaning: `how long a cached verdict lives, ${OPENAI_SETTINGS.cacheTtlMs.min} to ${OPENAI_SETTINGS.cacheTtlMs.max} ms`,
    },
  },
  read,
  policy: {
    section: z.strictObject({ thresholds: thresholds.optional() }),
    apply: (settings, section) =>
      section.thresholds ? { ...settings, thresholds: { ...settings.thresholds, ...section.thresholds } } : settings,
  },
  async create(settings, context) {
    const { apiKey, ...options } = settings;
    if (!apiKey) return engineThatCannotJudge("openai", "OPENAI_API_KEY is not set", context);
    const { createOpenAIEngine, openAIWorstCaseMs } = await import("@dify-ext/moderation-engines/openai");
    const { logger, observer } = context;
    logger.info(
      {
        engine: "openai",
        model: options.model,
        timeoutMs: options.timeoutMs,
        worstCaseMs: openAIWorstCaseMs(options.timeoutMs, options.maxRetries),
      },
      "openai engine ready",
    );
    return createOpenAIEngine({
      apiKey,
      ...options,
      logger,
      onUpstream: observer ? (event) => observer.observeUpstream(event) : undefined,
      ...(context.shared && { shared: context.shared }),
    });
  },
});
