import { keyProblem, parseKeyList } from "@dify-ext/auth";
import { z } from "zod";
import { DEFAULT_BODY_LIMIT } from "@dify-ext/receive";
import { type ContentLimits, DEFAULT_CONTENT_LIMITS } from "@dify-ext/receive";
import type { RateLimitOptions } from "@dify-ext/receive";
import { parseSharedStateUrl, SharedStateUrlError } from "@dify-ext/shared-state/url";

/** Environment variables as a plain record (`process.env` under Node, Worker vars on Workers). */
export type Env = Record<string, string | undefined>;

/** A bad configuration: one line per bad variable, each naming the variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

/**
 * Validates env vars against a zod object schema whose keys are variable names. Every bad variable
 * is reported at once, by name, with what was expected; values are never echoed (they may be
 * secrets).
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env): z.output<S> {
  const present: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") present[key] = value.trim();
  }
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join(".") || "(environment)";
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/**
 * `parseEnv`, but adding the problems to `problems` instead of throwing, for a reader that checks
 * more (a variable required with another) and reports everything in one `ConfigError`. Returns
 * `undefined` when a variable is bad.
 */
export function parseEnvInto<S extends z.ZodObject>(schema: S, env: Env, problems: string[]): z.output<S> | undefined {
  try {
    return parseEnv(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.push(problem);
    return undefined;
  }
}

/** An env var holding a TCP port (0 picks a free one); optional when no fallback is given. */
export function portVar(fallback: number): z.ZodDefault<z.ZodCoercedNumber<unknown>>;
export function portVar(): z.ZodOptional<z.ZodCoercedNumber<unknown>>;
export function portVar(fallback?: number) {
  const schema = z.coerce
    .number({ error: "expected a port number" })
    .int("expected a whole port number")
    .min(0, "expected a port from 0 to 65535")
    .max(65535, "expected a port from 0 to 65535");
  return fallback === undefined ? schema.optional() : schema.default(fallback);
}

/** An env var holding `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`). */
export const booleanVar = (fallback: boolean) =>
  z
    .string()
    .transform((value, ctx) => {
      const normalized = value.toLowerCase();
      if (["true", "1", "yes", "on"].includes(normalized)) return true;
      if (["false", "0", "no", "off"].includes(normalized)) return false;
      ctx.addIssue({ code: "custom", message: "expected true or false" });
      return z.NEVER;
    })
    .default(fallback);

/** An env var holding a whole number within bounds; optional when the fallback is `undefined`. */
export function integerVar(fallback: number, min: number, max: number): z.ZodDefault<z.ZodCoercedNumber<unknown>>;
export function integerVar(fallback: undefined, min: number, max: number): z.ZodOptional<z.ZodCoercedNumber<unknown>>;
export function integerVar(fallback: number | undefined, min: number, max: number) {
  const message = `expected a whole number from ${min} to ${max}`;
  const schema = z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);
  return fallback === undefined ? schema.optional() : schema.default(fallback);
}

/**
 * A zod transform that reads a value with `parse` (canaries, thresholds); what `parse` throws
 * becomes an issue with its message, so the variable's problem says what is wrong.
 */
export function parsedBy<I, O>(parse: (value: I) => O) {
  return (value: I, ctx: z.RefinementCtx<I>): O => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  };
}

/** An env var holding a comma-separated list (blanks dropped). */
export const listVar = () =>
  z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .optional();

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib)?$/i;
const UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 * 1024, mib: 1024 * 1024 };

/** An env var holding a size in bytes: `1048576`, `512kb`, `1mb`. */
export const byteSizeVar = (fallback: number) =>
  z
    .string()
    .transform((value, ctx) => {
      const match = SIZE.exec(value);
      const bytes = match ? Math.floor(Number(match[1]) * UNITS[(match[2] ?? "b").toLowerCase()]!) : Number.NaN;
      if (!Number.isFinite(bytes) || bytes < 64 || bytes > 64 * 1024 * 1024) {
        ctx.addIssue({ code: "custom", message: "expected a size from 64 bytes to 64mb, such as 1mb or 262144" });
        return z.NEVER;
      }
      return bytes;
    })
    .default(fallback);

/** Default bound of one operation on the shared state store (SHARED_STATE_TIMEOUT_MS), in milliseconds. */
export const DEFAULT_SHARED_STATE_TIMEOUT_MS = 50;

/** SHARED_STATE_URL: checked here (scheme, host, port, database), never echoed: it may hold a password. */
const sharedStateUrlVar = () =>
  z
    .string()
    .transform((value, ctx) => {
      try {
        parseSharedStateUrl(value);
        return value;
      } catch (error) {
        if (!(error instanceof SharedStateUrlError)) throw error;
        ctx.addIssue({ code: "custom", message: error.message });
        return z.NEVER;
      }
    })
    .optional();

/** A fixed key used only outside production, so `pnpm dev` works with no configuration. */
export const DEVELOPMENT_API_KEY = "dify-ext-dev-key";

/** The settings every app shares. */
export const commonEnvSchema = z.object({
  NODE_ENV: z.string().optional(),
  HOST: z.string().default("0.0.0.0"),
  API_KEYS: z
    .string()
    .transform((value, ctx) => {
      const keys = parseKeyList(value);
      keys.forEach((key, index) => {
        const problem = keyProblem(key);
        if (problem) ctx.addIssue({ code: "custom", message: `key #${index + 1} ${problem}` });
      });
      return keys;
    })
    .optional(),
  BODY_LIMIT: byteSizeVar(DEFAULT_BODY_LIMIT),
  MAX_INPUTS: integerVar(DEFAULT_CONTENT_LIMITS.maxInputs, 1, 100_000),
  MAX_TEXT_LENGTH: integerVar(DEFAULT_CONTENT_LIMITS.maxTextLength, 1, 64 * 1024 * 1024),
  MAX_DEPTH: integerVar(DEFAULT_CONTENT_LIMITS.maxDepth, 1, 1000),
  MAX_TEXTS: integerVar(DEFAULT_CONTENT_LIMITS.maxTexts, 1, 1_000_000),
  MAX_TOTAL_TEXT_LENGTH: integerVar(DEFAULT_CONTENT_LIMITS.maxTotalTextLength, 1, 256 * 1024 * 1024),
  RATE_LIMIT_RPS: z.coerce
    .number({ error: "expected a number of requests per second" })
    .positive("expected a positive number of requests per second")
    .optional(),
  RATE_LIMIT_BURST: integerVar(undefined, 1, 1_000_000),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "expected fatal, error, warn, info, debug, trace or silent",
    })
    .default("info"),
  LOG_FORMAT: z.enum(["auto", "json", "pretty"], { error: "expected auto, json or pretty" }).default("auto"),
  LOG_USER_TEXT: booleanVar(false),
  METRICS: booleanVar(true),
  METRICS_PORT: portVar(),
  MAX_CONNECTIONS: integerVar(undefined, 1, 1_000_000),
  SHARED_STATE_URL: sharedStateUrlVar(),
  SHARED_STATE_TIMEOUT_MS: integerVar(DEFAULT_SHARED_STATE_TIMEOUT_MS, 5, 1000),
  // Unset: on outside production (`pnpm dev`), off with NODE_ENV=production.
  PLAYGROUND: booleanVar(false).unwrap().optional(),
});

export interface CommonConfig {
  host: string;
  apiKeys: string[];
  /** True when no API_KEYS was set and the development key is in use. */
  usingDevelopmentKey: boolean;
  bodyLimit: number;
  limits: ContentLimits;
  /** Per-key rate limit; absent (off) unless RATE_LIMIT_RPS is set. */
  rateLimit?: RateLimitOptions;
  logLevel: z.output<typeof commonEnvSchema>["LOG_LEVEL"];
  /** `json`, `pretty` (pino-pretty), or `auto`: pretty when standard output is a terminal (Node only). */
  logFormat: z.output<typeof commonEnvSchema>["LOG_FORMAT"];
  /** Log end users' text (debugging only; off by default). */
  logUserText: boolean;
  /** `/metrics`: off, on the service's port, or on a port of its own. */
  metrics: { enabled: boolean; port?: number };
  /** Most open connections (Node only); absent: derived from the open-file limit. */
  maxConnections?: number;
  /**
   * The store replicas share caches, streamed-answer judgements and rate-limit buckets through
   * (SHARED_STATE_URL, Node only); absent: everything stays in this process. `url` holds the
   * password, if any: never log it (the shared state logs a redacted form).
   */
  sharedState?: { url: string; timeoutMs: number };
  /**
   * Serve the playground (`GET /playground` and its explain endpoint) on moderation apps:
   * PLAYGROUND, or when unset on unless NODE_ENV=production.
   */
  playground: boolean;
}

/**
 * Reads the settings every app shares. Without `API_KEYS`, the development key is used, except
 * with `NODE_ENV=production`, where that is an error: secrets never have production defaults.
 */
export function parseCommonEnv(env: Env): CommonConfig {
  const parsed = parseEnv(commonEnvSchema, env);
  return commonConfig(parsed);
}

/**
 * Reads the shared settings and an app's own schema together, so that every bad variable of both
 * is reported in one error.
 */
export function parseAppEnv<S extends z.ZodObject>(schema: S, env: Env): { common: CommonConfig; app: z.output<S> } {
  const problems: string[] = [];
  let common: CommonConfig | undefined;
  let app: z.output<S> | undefined;
  try {
    common = parseCommonEnv(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  try {
    app = parseEnv(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !common || app === undefined) throw new ConfigError(problems);
  return { common, app };
}

function commonConfig(parsed: z.output<typeof commonEnvSchema>): CommonConfig {
  const keys = parsed.API_KEYS ?? [];
  if (keys.length === 0 && parsed.NODE_ENV === "production") {
    throw new ConfigError([
      "API_KEYS: required with NODE_ENV=production (comma-separated, at least 5 characters each)",
    ]);
  }
  if (parsed.RATE_LIMIT_BURST !== undefined && parsed.RATE_LIMIT_RPS === undefined) {
    throw new ConfigError(["RATE_LIMIT_BURST: set RATE_LIMIT_RPS too (the burst has no effect without a rate)"]);
  }
  return {
    host: parsed.HOST,
    apiKeys: keys.length > 0 ? keys : [DEVELOPMENT_API_KEY],
    usingDevelopmentKey: keys.length === 0,
    bodyLimit: parsed.BODY_LIMIT,
    limits: {
      maxInputs: parsed.MAX_INPUTS,
      maxTextLength: parsed.MAX_TEXT_LENGTH,
      maxDepth: parsed.MAX_DEPTH,
      maxTexts: parsed.MAX_TEXTS,
      maxTotalTextLength: parsed.MAX_TOTAL_TEXT_LENGTH,
    },
    ...(parsed.RATE_LIMIT_RPS === undefined
      ? {}
      : { rateLimit: { requestsPerSecond: parsed.RATE_LIMIT_RPS, burst: parsed.RATE_LIMIT_BURST } }),
    logLevel: parsed.LOG_LEVEL,
    logFormat: parsed.LOG_FORMAT,
    logUserText: parsed.LOG_USER_TEXT,
    metrics: { enabled: parsed.METRICS, port: parsed.METRICS_PORT },
    ...(parsed.MAX_CONNECTIONS === undefined ? {} : { maxConnections: parsed.MAX_CONNECTIONS }),
    ...(parsed.SHARED_STATE_URL === undefined
      ? {}
      : { sharedState: { url: parsed.SHARED_STATE_URL, timeoutMs: parsed.SHARED_STATE_TIMEOUT_MS } }),
    playground: parsed.PLAYGROUND ?? parsed.NODE_ENV !== "production",
  };
}
