import { type CommonConfig, ConfigError, type Env, parseCommonEnv, parseEnv, portVar } from "@dify-ext/runtime";
import { z } from "zod";
import type { PolicySettings } from "./policy.ts";
import type { StreamSettings } from "./stream.ts";
import type { WebhookSettings } from "./webhook.ts";

/**
 * The engines an app runs, by name, each with its settings (what its module's `read` returns);
 * they run cheapest first, whatever the order here.
 */
export interface EngineSettings {
  readonly [engine: string]: unknown;
}

/** A moderation app's configuration, as its `src/config.ts` builds it from env. */
export interface ModerationConfig {
  common: CommonConfig;
  port: number;
  policy: PolicySettings;
  engines: EngineSettings;
  /** MODERATION_POLICY_FILE: per-app policies over `policy` and `engines` (docs/policies.md). */
  policyFile?: string;
  /** The stream cache for output moderation (`readStreamSettings`); its defaults when absent. */
  stream?: StreamSettings;
  /** Verdict webhooks (`readWebhookSettings`); none when absent. */
  webhook?: WebhookSettings;
}

/** Reads the settings every app shares (keys, limits, logging); see `@dify-ext/runtime`. */
export const readCommonSettings: (env: Env) => CommonConfig = parseCommonEnv;

/** Reads `PORT`, `fallback` when unset. */
export function readPort(env: Env, fallback: number): number {
  return parseEnv(z.object({ PORT: portVar(fallback) }), env).PORT;
}

type Results<T extends Record<string, () => unknown>> = { [K in keyof T]: ReturnType<T[K]> };

/**
 * Runs every read and returns their results by name, or throws one `ConfigError` with the problems
 * of all of them, so one start-up names every bad variable.
 */
export function readSettings<T extends Record<string, () => unknown>>(reads: T): Results<T> {
  const problems: string[] = [];
  const results = new Map<string, unknown>();
  for (const [name, read] of Object.entries(reads)) {
    try {
      results.set(name, read());
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.fromEntries(results) as Results<T>;
}
