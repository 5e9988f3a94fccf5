import {
  type ControversialAction,
  DEFAULT_CONTROVERSIAL,
  GUARD_FORMATS,
  GUARD_SETTINGS,
  type GuardFormat,
  type IntegerSetting,
  resolveGuardSettings,
} from "@dify-ext/moderation-engines/guard/settings";
import { ConfigError, type Env, integerVar, parseEnvInto } from "@dify-ext/runtime";
import { z } from "zod";
import { defineEngine, engineThatCannotJudge } from "../engine-module.ts";

declare module "../config/read.ts" {
  interface EngineSettings {
    guard?: GuardSettings;
  }
}

/** An env var for one of the engine's numeric options, with the engine's own default and bounds. */
const settingVar = (setting: IntegerSetting) => integerVar(setting.default, setting.min, setting.max);

/** A category list: `all` (the default), `none`, or comma-separated ids or names. */
const categoriesVar = () =>
  z
    .string()
    .transform((value): string[] | undefined => {
      const trimmed = value.trim().toLowerCase();
      if (trimmed === "all") return undefined;
      if (trimmed === "none") return [];
      return value
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean);
    })
    .optional();

/** The guard engine's variables; numeric ones take their default and bounds from `GUARD_SETTINGS`. */
const guardEnv = z.object({
  GUARD_BASE_URL: z.url({ error: "expected a URL such as http://127.0.0.1:11434/v1" }).optional(),
  GUARD_MODEL: z.string().optional(),
  GUARD_API_KEY: z.string().optional(),
  GUARD_FORMAT: z.enum(GUARD_FORMATS, { error: `expected one of ${GUARD_FORMATS.join(", ")}` }).optional(),
  GUARD_INPUT_CATEGORIES: categoriesVar(),
  GUARD_OUTPUT_CATEGORIES: categoriesVar(),
  GUARD_CONTROVERSIAL: z.enum(["block", "pass"], { error: "expected block or pass" }).default(DEFAULT_CONTROVERSIAL),
  GUARD_TIMEOUT_MS: settingVar(GUARD_SETTINGS.timeoutMs),
  GUARD_MAX_RETRIES: settingVar(GUARD_SETTINGS.maxRetries),
  GUARD_CACHE_MAX: settingVar(GUARD_SETTINGS.cacheMax),
  GUARD_CACHE_TTL_MS: settingVar(GUARD_SETTINGS.cacheTtlMs),
  GUARD_WINDOW_CHARS: settingVar(GUARD_SETTINGS.windowChars),
  GUARD_WINDOW_OVERLAP_CHARS: settingVar(GUARD_SETTINGS.windowOverlapChars),
  GUARD_MAX_CONCURRENCY: settingVar(GUARD_SETTINGS.maxConcurrency),
});

const identitySchema = guardEnv.pick({
  GUARD_MODEL: true,
  GUARD_FORMAT: true,
  GUARD_INPUT_CATEGORIES: true,
  GUARD_OUTPUT_CATEGORIES: true,
});

/** The guard engine's settings. */
export interface GuardSettings {
  /** Absent outside production when GUARD_BASE_URL is not set: calls then fail by policy. */
  baseURL: string | undefined;
  model: string | undefined;
  apiKey: string | undefined;
  /** GUARD_FORMAT, or the family of GUARD_MODEL. */
  format: GuardFormat | undefined;
  /** The blocking categories per point (ids); absent means all of the family's. */
  categories: { input?: string[]; output?: string[] };
  controversial: ControversialAction;
  timeoutMs: number;
  maxRetries: number;
  cache: { max: number; ttlMs: number };
  window: { chars: number; overlapChars: number };
  maxConcurrency: number;
}

/**
 * Reads the guard engine's variables; throws a `ConfigError` naming each bad one. GUARD_BASE_URL
 * and GUARD_MODEL are required with NODE_ENV=production; GUARD_MODEL is required with
 * GUARD_BASE_URL; the format must be given or follow from the model name; categories must be the
 * family's.
 */
function read(env: Env): GuardSettings {
  const problems: string[] = [];
  const production = env.NODE_ENV?.trim() === "production";
  const has = (name: string) => Boolean(env[name]?.trim());
  if (production && !has("GUARD_BASE_URL")) {
    problems.push("GUARD_BASE_URL: required by the guard engine with NODE_ENV=production");
  }
  if (!has("GUARD_MODEL") && (production || has("GUARD_BASE_URL"))) {
    problems.push("GUARD_MODEL: required by the guard engine with GUARD_BASE_URL (the model name the server knows)");
  }
  const app = parseEnvInto(guardEnv, env, problems);
  // The model, format and categories are checked even when another variable is bad, so one start-up
  // names every problem; their own syntax problems are already reported by the full parse.
  const identity = parseEnvInto(identitySchema, env, []);
  let format = identity?.GUARD_FORMAT;
  const categories: GuardSettings["categories"] = {};
  const model = identity?.GUARD_MODEL;
  if (identity && model) {
    try {
      format = resolveGuardSettings({ model, format }).format;
    } catch (error) {
      const message = (error as Error).message.replace("set the format", "set GUARD_FORMAT");
      problems.push(`${/cannot tell/.test(message) ? "GUARD_FORMAT" : "GUARD_MODEL"}: ${message}`);
    }
    for (const [name, point, list] of [
      ["GUARD_INPUT_CATEGORIES", "input", identity.GUARD_INPUT_CATEGORIES],
      ["GUARD_OUTPUT_CATEGORIES", "output", identity.GUARD_OUTPUT_CATEGORIES],
    ] as const) {
      if (list === undefined || format === undefined) continue;
      try {
        categories[point] = resolveGuardSettings({ model, format, categories: { [point]: list } }).categories[point];
      } catch (error) {
        problems.push(`${name}: ${(error as Error).message}`);
      }
    }
  }
  if (app && app.GUARD_WINDOW_OVERLAP_CHARS * 2 >= app.GUARD_WINDOW_CHARS) {
    problems.push(
      `GUARD_WINDOW_OVERLAP_CHARS: must be less than half of GUARD_WINDOW_CHARS (${app.GUARD_WINDOW_CHARS})`,
    );
  }
  if (problems.length > 0 || !app) throw new ConfigError(problems);
  return {
    baseURL: app.GUARD_BASE_URL,
    model: app.GUARD_MODEL,
    apiKey: app.GUARD_API_KEY,
    format,
    categories,
    controversial: app.GUARD_CONTROVERSIAL,
    timeoutMs: app.GUARD_TIMEOUT_MS,
    maxRetries: app.GUARD_MAX_RETRIES,
    cache: { max: app.GUARD_CACHE_MAX, ttlMs: app.GUARD_CACHE_TTL_MS },
    window: { chars: app.GUARD_WINDOW_CHARS, overlapChars: app.GUARD_WINDOW_OVERLAP_CHARS },
    maxConcurrency: app.GUARD_MAX_CONCURRENCY,
  };
}

const NO_URL = "GUARD_BASE_URL is not set";
const setting = (name: keyof typeof GUARD_SETTINGS) => `\`${GUARD_SETTINGS[name].default}\``;
const bounds = (name: keyof typeof GUARD_SETTINGS) => `${GUARD_SETTINGS[name].min} to ${GUARD_SETTINGS[name].max}`;

/**
 * A self-hosted guard model (Llama Guard 3/4, Qwen3Guard-Gen, ShieldGemma) behind an
 * OpenAI-compatible chat endpoint (vLLM, Ollama). Runs last: a generative model on a GPU is the
 * slowest engine. Without GUARD_BASE_URL (outside production) it builds anyway: the app reports not
 * ready and every call goes to the failure policy.
 */
export const guard = defineEngine<GuardSettings>({
  name: "guard",
  rank: 50,
  summary: "a self-hosted guard model (Llama Guard, Qwen3Guard, ShieldGemma) on your own GPU",
  docs: "app-moderation-guard.md",
  env: guardEnv,
  variables: {
    GUARD_BASE_URL: {
      default: "none; **required** with `NODE_ENV=production`",
      meaning:
        "the server's OpenAI-compatible base URL including `/v1` (vLLM `http://host:8000/v1`, Ollama `http://host:11434/v1`)",
    },
    GUARD_MODEL: {
      default: "none; **required** with `GUARD_BASE_URL` and in production",
      meaning:
        "the model name the server knows (`llama-guard3:8b`, `meta-llama/Llama-Guard-4-12B`, `Qwen/Qwen3Guard-Gen-4B`, `shieldgemma:9b`)",
    },
    GUARD_API_KEY: {
      default: "none (no `Authorization` header)",
      meaning: "sent as `Authorization: Bearer` when the server wants one (vLLM `--api-key`); never logged",
    },
    GUARD_FORMAT: {
      default: "from `GUARD_MODEL`",
      meaning: `${GUARD_FORMATS.map((format) => `\`${format}\``).join(", ")}; required when the model name does not say`,
    },
    GUARD_INPUT_CATEGORIES: {
      default: "`all`",
      meaning:
        "the categories that block the user's input: `all`, `none`, or ids/names from the [tables](engine-guard.md#model-families-prompts-and-replies) (`S1,S10`, `violent,pii`, `harassment`)",
    },
    GUARD_OUTPUT_CATEGORIES: { default: "`all`", meaning: "the same for the model's answer" },
    GUARD_CONTROVERSIAL: {
      default: `\`${DEFAULT_CONTROVERSIAL}\``,
      meaning: "Qwen3Guard's `Controversial`: `block` (like `Unsafe`) or `pass`",
    },
    GUARD_TIMEOUT_MS: { default: setting("timeoutMs"), meaning: `timeout of one attempt, ${bounds("timeoutMs")}` },
    GUARD_MAX_RETRIES: {
      default: setting("maxRetries"),
      meaning: "`0` or `1`: one retry after a timeout, a connection error, 408, 409, 429 or 5xx",
    },
    GUARD_CACHE_MAX: {
      default: setting("cacheMax"),
      meaning: `window verdicts cached (${bounds("cacheMax")}); \`0\` disables the cache`,
    },
    GUARD_CACHE_TTL_MS: {
      default: setting("cacheTtlMs"),
      meaning: `how long a cached verdict lives, ${bounds("cacheTtlMs")} ms`,
    },
    GUARD_WINDOW_CHARS: {
      default: setting("windowChars"),
      meaning: `longest text judged in one request; longer texts are judged in [windows](engine-guard.md#long-texts-windows), ${bounds("windowChars")}`,
    },
    GUARD_WINDOW_OVERLAP_CHARS: {
      default: setting("windowOverlapChars"),
      meaning: "what consecutive windows share, less than half the window",
    },
    GUARD_MAX_CONCURRENCY: {
      default: setting("maxConcurrency"),
      meaning: `requests in flight to the model at most, ${bounds("maxConcurrency")}`,
    },
  },
  read,
  async create(settings, context) {
    const { baseURL, model, apiKey, format, categories, ...options } = settings;
    if (!baseURL || !model) return engineThatCannotJudge("guard", NO_URL, context);
    const { createGuardEngine, guardWorstCaseMs } = await import("@dify-ext/moderation-engines/guard");
    const { logger, observer } = context;
    const engine = createGuardEngine({
      baseURL,
      model,
      ...(apiKey ? { apiKey } : {}),
      ...(format ? { format } : {}),
      categories,
      ...options,
      logger,
      onUpstream: observer ? (event) => observer.observeUpstream(event) : undefined,
      ...(context.shared && { shared: context.shared }),
    });
    logger.info(
      {
        engine: "guard",
        model,
        format,
        timeoutMs: options.timeoutMs,
        worstCaseMs: guardWorstCaseMs(options.timeoutMs, options.maxRetries),
        windowChars: options.window.chars,
      },
      "guard engine ready",
    );
    return engine;
  },
});
