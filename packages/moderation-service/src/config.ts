import { policyEnvSchema, policyOptionsFromEnv } from "@dify-ext/moderation-engines";
import { parseThresholds } from "@dify-ext/moderation-engines/openai/settings";
import {
  booleanVar,
  type CommonConfig,
  ConfigError,
  type Env,
  integerVar,
  listVar,
  parseAppEnv,
  portVar,
} from "@dify-ext/server";
import { z } from "zod";

/** The engines a moderation app can run, cheapest first: that is also the order they run in. */
export const ENGINE_NAMES = ["keywords", "obscenity", "openai"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Default of `MODERATION_ENGINES` in the composite app: the engines that need no account. */
export const DEFAULT_ENGINES: readonly EngineName[] = ["keywords", "obscenity"];

const engineList = z.string().transform((value, ctx) => {
  const names = value
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const seen = new Set<string>();
  for (const name of names) {
    if (!(ENGINE_NAMES as readonly string[]).includes(name)) {
      ctx.addIssue({ code: "custom", message: `unknown engine "${name.slice(0, 40)}"; expected any of ${ENGINE_NAMES.join(", ")}` });
    } else if (seen.has(name)) {
      ctx.addIssue({ code: "custom", message: `engine "${name}" is listed twice` });
    }
    seen.add(name);
  }
  if (names.length === 0) ctx.addIssue({ code: "custom", message: `expected at least one of ${ENGINE_NAMES.join(", ")}` });
  return names as EngineName[];
});

const keywordsEnv = {
  KEYWORDS_FILES: listVar(),
  KEYWORDS_ALLOW_FILES: listVar(),
  KEYWORDS_MATCH: z.enum(["word", "substring"], { error: "expected word or substring" }).default("word"),
  KEYWORDS_SEPARATORS: booleanVar(false),
  KEYWORDS_WATCH: booleanVar(true),
};

const obscenityEnv = {
  OBSCENITY_EXTRA_TERMS: listVar(),
  OBSCENITY_ALLOW_TERMS: listVar(),
};

const openaiEnv = {
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.url({ error: "expected a URL such as https://api.openai.com/v1" }).optional(),
  OPENAI_MODERATION_MODEL: z.string().default("omni-moderation-latest"),
  OPENAI_TIMEOUT_MS: integerVar(4000, 100, 30_000),
  OPENAI_MAX_RETRIES: integerVar(1, 0, 1),
  OPENAI_THRESHOLDS: z.string().optional(),
  OPENAI_CACHE_MAX: integerVar(10_000, 0, 1_000_000),
  OPENAI_CACHE_TTL_MS: integerVar(600_000, 1, 86_400_000),
};

const envSchema = policyEnvSchema.extend({
  MODERATION_ENGINES: engineList.optional(),
  ...keywordsEnv,
  ...obscenityEnv,
  ...openaiEnv,
});

export interface KeywordsConfig {
  /** Block-list files from KEYWORDS_FILES; empty means the bundled sample list. */
  listFiles: string[];
  /** Allow-list files from KEYWORDS_ALLOW_FILES; with the sample list, the sample allow-list. */
  allowFiles: string[];
  usingSampleList: boolean;
  match: "word" | "substring";
  separators: boolean;
  watch: boolean;
}

export interface ObscenityConfig {
  extraTerms: string[];
  allowTerms: string[];
}

export interface OpenAIConfig {
  /** Absent outside production when OPENAI_API_KEY is not set: calls then fail by policy. */
  apiKey: string | undefined;
  baseURL: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  thresholds: Record<string, number>;
  cache: { max: number; ttlMs: number };
}

export interface ModerationConfig {
  common: CommonConfig;
  port: number;
  /** Engines to run, in the order they run (cheapest first). */
  engines: EngineName[];
  policy: ReturnType<typeof policyOptionsFromEnv>;
  keywords: KeywordsConfig;
  obscenity: ObscenityConfig;
  openai: OpenAIConfig;
}

export interface LoadOptions {
  defaultPort: number;
  /** The engines of a single-engine app; without it, `MODERATION_ENGINES` picks them. */
  engines?: readonly EngineName[];
}

/**
 * Reads and validates every env var of a moderation app at once; throws a `ConfigError` with one
 * line per bad variable. Only the selected engines' variables are required to make sense.
 */
export async function loadModerationConfig(env: Env, options: LoadOptions): Promise<ModerationConfig> {
  const schema = envSchema.extend({ PORT: portVar(options.defaultPort) });
  const problems: string[] = [];
  let parsed: { common: CommonConfig; app: z.output<typeof schema> } | undefined;
  try {
    parsed = parseAppEnv(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // The checks below also run when other variables are bad, so one start-up names every problem.
  const chosen = options.engines ?? (parsed ? (parsed.app.MODERATION_ENGINES ?? DEFAULT_ENGINES) : knownEngines(env.MODERATION_ENGINES));
  const engines = ENGINE_NAMES.filter((name) => chosen.includes(name));
  const thresholds = engines.includes("openai") ? await openaiProblems(env, problems) : {};
  if (problems.length > 0 || !parsed) throw new ConfigError(problems);
  const { common, app } = parsed;
  const listFiles = app.KEYWORDS_FILES ?? [];
  const usingSampleList = listFiles.length === 0;
  return {
    common,
    port: app.PORT,
    engines: [...engines],
    policy: policyOptionsFromEnv(app),
    keywords: {
      listFiles,
      allowFiles: app.KEYWORDS_ALLOW_FILES ?? [],
      usingSampleList,
      match: app.KEYWORDS_MATCH,
      separators: app.KEYWORDS_SEPARATORS,
      watch: app.KEYWORDS_WATCH,
    },
    obscenity: { extraTerms: app.OBSCENITY_EXTRA_TERMS ?? [], allowTerms: app.OBSCENITY_ALLOW_TERMS ?? [] },
    openai: {
      apiKey: app.OPENAI_API_KEY,
      baseURL: app.OPENAI_BASE_URL,
      model: app.OPENAI_MODERATION_MODEL,
      timeoutMs: app.OPENAI_TIMEOUT_MS,
      maxRetries: app.OPENAI_MAX_RETRIES,
      thresholds,
      cache: { max: app.OPENAI_CACHE_MAX, ttlMs: app.OPENAI_CACHE_TTL_MS },
    },
  };
}

/** The known engine names in a `MODERATION_ENGINES` that failed validation (its problems are reported already). */
function knownEngines(value: string | undefined): readonly EngineName[] {
  if (value === undefined || value.trim() === "") return DEFAULT_ENGINES;
  const names = value.split(",").map((name) => name.trim().toLowerCase());
  return ENGINE_NAMES.filter((name) => names.includes(name));
}

/** Checks what only the openai engine needs; returns the parsed thresholds. */
async function openaiProblems(env: Env, problems: string[]): Promise<Record<string, number>> {
  let thresholds: Record<string, number> = {};
  const spec = env.OPENAI_THRESHOLDS?.trim();
  if (spec) {
    try {
      thresholds = parseThresholds(spec);
    } catch (error) {
      problems.push(`OPENAI_THRESHOLDS: ${(error as Error).message}`);
    }
  }
  if (!env.OPENAI_API_KEY?.trim() && env.NODE_ENV?.trim() === "production") {
    problems.push("OPENAI_API_KEY: required by the openai engine with NODE_ENV=production");
  }
  return thresholds;
}
