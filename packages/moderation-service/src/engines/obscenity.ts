import { listVar, parseEnv } from "@dify-ext/runtime";
import { z } from "zod";
import { defineEngine, namingVariables } from "../engine-module.ts";

declare module "../config/read.ts" {
  interface EngineSettings {
    obscenity?: ObscenitySettings;
  }
}

/** The obscenity engine's settings. */
export interface ObscenitySettings {
  extraTerms: string[];
  allowTerms: string[];
}

const env = z.object({
  OBSCENITY_EXTRA_TERMS: listVar(),
  OBSCENITY_ALLOW_TERMS: listVar(),
});

/** The variable each of the engine's options comes from, to name it when a term is unusable. */
const VARIABLES = { extraTerms: "OBSCENITY_EXTRA_TERMS", allowTerms: "OBSCENITY_ALLOW_TERMS" } as const;

/** English profanity with evasion handling (leetspeak, repeats, look-alikes), from the `obscenity` dataset. */
export const obscenity = defineEngine<ObscenitySettings, { extra_terms?: string[]; allow_terms?: string[] }>({
  name: "obscenity",
  rank: 20,
  runsByDefault: true,
  summary: "English profanity with evasion handling (leetspeak, repeated and look-alike letters)",
  docs: "app-moderation-obscenity.md",
  env,
  variables: {
    OBSCENITY_EXTRA_TERMS: {
      default: "none",
      meaning:
        "comma-separated terms to flag besides the dataset. `scam` matches the whole word (also `SCAAAM`, `sc4m`); `scam*` words starting with it; `*ware` words ending with it; `*blorp*` anywhere. See [the syntax](engine-obscenity.md#extraterms-syntax)",
    },
    OBSCENITY_ALLOW_TERMS: {
      default: "none",
      meaning:
        "comma-separated phrases in which matches are ignored, for false positives: `penistone,cumin,wankel engine`. A phrase must cover the match entirely, so `penistone` does not let `penis` through elsewhere",
    },
  },
  read(source) {
    const app = parseEnv(env, source);
    return { extraTerms: app.OBSCENITY_EXTRA_TERMS ?? [], allowTerms: app.OBSCENITY_ALLOW_TERMS ?? [] };
  },
  policy: {
    section: z.strictObject({
      extra_terms: z.array(z.string()).optional(),
      allow_terms: z.array(z.string()).optional(),
    }),
    apply: (settings, section) => ({
      extraTerms: section.extra_terms ?? settings.extraTerms,
      allowTerms: section.allow_terms ?? settings.allowTerms,
    }),
  },
  /** An unusable extra or allowed term is a `ConfigError` naming its variable. */
  async create(settings) {
    const { createObscenityEngine, ObscenityTermError } = await import("@dify-ext/moderation-engines/obscenity");
    return namingVariables(ObscenityTermError, VARIABLES, () => createObscenityEngine(settings));
  },
});
