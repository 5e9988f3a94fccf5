import type { ObscenityEngineOptions } from "@dify-ext/moderation-engines/obscenity";
import { type Env, listVar, parseEnv } from "@dify-ext/runtime";
import { z } from "zod";

/** The obscenity engine's variables. */
export const obscenityEnvSchema = z.object({
  OBSCENITY_EXTRA_TERMS: listVar(),
  OBSCENITY_ALLOW_TERMS: listVar(),
});

/** The obscenity engine's settings. */
export interface ObscenitySettings extends Required<ObscenityEngineOptions> {
  extraTerms: string[];
  allowTerms: string[];
}

/** The variable each of the engine's options comes from, to name it when a term is unusable. */
export const OBSCENITY_VARIABLES = {
  extraTerms: "OBSCENITY_EXTRA_TERMS",
  allowTerms: "OBSCENITY_ALLOW_TERMS",
} as const satisfies Record<keyof ObscenityEngineOptions, string>;

/** Reads the obscenity engine's variables; throws a `ConfigError` naming each bad one. */
export function readObscenitySettings(env: Env): ObscenitySettings {
  const app = parseEnv(obscenityEnvSchema, env);
  return { extraTerms: app.OBSCENITY_EXTRA_TERMS ?? [], allowTerms: app.OBSCENITY_ALLOW_TERMS ?? [] };
}
