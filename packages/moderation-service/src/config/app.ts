import type { Env } from "@dify-ext/runtime";
import type { AnyEngineModule } from "../engine-module.ts";
import { byRank } from "../engines/index.ts";
import { DEFAULT_ENGINES, enginesNamedIn, readEngineList } from "./engines.ts";
import { type PolicyDefaults, readPolicyFile, readPolicySettings } from "./policy.ts";
import { type ModerationConfig, readCommonSettings, readPort, readSettings } from "./read.ts";
import { readStreamSettings } from "./stream.ts";
import { readWebhookSettings } from "./webhook.ts";

/** What a moderation app is: its name, its port, the engines it can run. */
export interface ModerationAppOptions {
  /** Service name, on every log line and metric. */
  name: string;
  /** `PORT` when unset. */
  port: number;
  /** The engines' modules. */
  engines: readonly AnyEngineModule[];
  /**
   * MODERATION_ENGINES picks which of `engines` run (the composite app; default: those that run by
   * default). Without it every engine of `engines` runs.
   */
  selectable?: boolean;
  /** Changes to the policy's defaults (the pii app masks by default). */
  policy?: PolicyDefaults;
}

/** A moderation app's definition: what `runModerationService` (Node) and `createModerationWorker` take. */
export interface ModerationAppDefinition extends ModerationAppOptions {
  /**
   * Reads the app's variables once: the shared ones, the policy's and its engines' (with
   * `selectable`, only those MODERATION_ENGINES names, so a leftover variable of an engine not in
   * use never stops the app). Throws a `ConfigError` with one line per bad variable, naming it.
   */
  loadConfig(env: Env): ModerationConfig;
}

/** Defines a moderation app (its `src/config.ts`). */
export function defineModerationApp(options: ModerationAppOptions): ModerationAppDefinition {
  const modules = byRank(options.engines);
  const fallback = modules.map((module) => module.name).filter((name) => DEFAULT_ENGINES.includes(name));
  return {
    ...options,
    engines: modules,
    loadConfig(env) {
      // Leniently first, so a bad MODERATION_ENGINES is reported together with the named engines' problems.
      const named = options.selectable ? enginesNamedIn(env, fallback, modules) : modules.map((module) => module.name);
      const reads: Record<string, () => unknown> = {};
      for (const module of modules) {
        if (named.includes(module.name)) reads[`engine:${module.name}`] = () => module.read(env);
      }
      const settings = readSettings({
        common: () => readCommonSettings(env),
        port: () => readPort(env, options.port),
        policy: () => readPolicySettings(env, options.policy),
        policyFile: () => readPolicyFile(env),
        stream: () => readStreamSettings(env),
        webhook: () => readWebhookSettings(env),
        engineList: () => (options.selectable ? readEngineList(env, fallback, modules) : named),
        ...reads,
      });
      const engines: Record<string, unknown> = {};
      for (const name of settings.engineList) engines[name] = (settings as Record<string, unknown>)[`engine:${name}`];
      return {
        common: settings.common,
        port: settings.port,
        policy: settings.policy,
        ...(settings.policyFile !== undefined && { policyFile: settings.policyFile }),
        stream: settings.stream,
        webhook: settings.webhook,
        engines,
      };
    },
  };
}
