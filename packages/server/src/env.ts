import { MIN_KEY_LENGTH, parseKeyList } from "@dify-ext/auth";
import { z } from "zod";
import { DEFAULT_BODY_LIMIT } from "./core.ts";

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

/** An env var holding a TCP port (0 picks a free one). */
export const portVar = (fallback: number) =>
  z.coerce
    .number({ error: "expected a port number" })
    .int("expected a whole port number")
    .min(0, "expected a port from 0 to 65535")
    .max(65535, "expected a port from 0 to 65535")
    .default(fallback);

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

/** An env var holding a whole number within bounds. */
export const integerVar = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int(`expected a whole number from ${min} to ${max}`)
    .min(min, `expected a whole number from ${min} to ${max}`)
    .max(max, `expected a whole number from ${min} to ${max}`)
    .default(fallback);

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
        if (key.length < MIN_KEY_LENGTH) {
          ctx.addIssue({
            code: "custom",
            message: `key #${index + 1} is ${key.length} characters long; Dify needs at least ${MIN_KEY_LENGTH}`,
          });
        }
      });
      return keys;
    })
    .optional(),
  BODY_LIMIT: byteSizeVar(DEFAULT_BODY_LIMIT),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface CommonConfig {
  host: string;
  apiKeys: string[];
  /** True when no API_KEYS was set and the development key is in use. */
  usingDevelopmentKey: boolean;
  bodyLimit: number;
  logLevel: z.output<typeof commonEnvSchema>["LOG_LEVEL"];
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
    throw new ConfigError(["API_KEYS: required with NODE_ENV=production (comma-separated, at least 5 characters each)"]);
  }
  return {
    host: parsed.HOST,
    apiKeys: keys.length > 0 ? keys : [DEVELOPMENT_API_KEY],
    usingDevelopmentKey: keys.length === 0,
    bodyLimit: parsed.BODY_LIMIT,
    logLevel: parsed.LOG_LEVEL,
  };
}
