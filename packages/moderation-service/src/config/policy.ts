import { type ModerationPolicyOptions, type PolicyAction, replyTemplateProblem } from "@dify-ext/moderation-engines";
import { booleanVar, ConfigError, type Env, parseEnv } from "@dify-ext/runtime";
import { z } from "zod";

export const DEFAULT_INPUT_PRESET = "Sorry, your message was blocked by content moderation.";
export const DEFAULT_OUTPUT_PRESET = "Sorry, this answer was withheld by content moderation.";
/** The action at both points when MODERATION_INPUT_ACTION / MODERATION_OUTPUT_ACTION are unset. */
export const DEFAULT_POLICY_ACTION: PolicyAction = "block";

const action = z.enum(["block", "mask"], { error: "expected block or mask" });
const failure = z.enum(["open", "closed"], { error: "expected open or closed" });

/** The policy's variables, which every moderation app reads. */
export const policyEnvSchema = z.object({
  // Unset means the app's default action (DEFAULT_POLICY_ACTION unless the app passes its own).
  MODERATION_INPUT_ACTION: action.optional(),
  MODERATION_OUTPUT_ACTION: action.optional(),
  // Reply templates ({category}, ...), checked for unknown placeholders when read.
  MODERATION_INPUT_PRESET: z.string().default(DEFAULT_INPUT_PRESET),
  MODERATION_OUTPUT_PRESET: z.string().default(DEFAULT_OUTPUT_PRESET),
  MODERATION_REPLY_SHOWS_TERMS: booleanVar(false),
  MODERATION_INPUT_ON_ERROR: failure.default("open"),
  MODERATION_OUTPUT_ON_ERROR: failure.default("open"),
  // Unset means the policy's own default (DEFAULT_MASK_CHARACTER), so it is written down once.
  MODERATION_MASK_CHARACTER: z
    .string()
    .refine((value) => [...value].length === 1, "expected exactly one character")
    .optional(),
});

/** The policy's options without its engines, which come from the engines' own settings. */
export type PolicySettings = Omit<ModerationPolicyOptions, "engines">;

/** What an app may change in the policy's defaults. */
export interface PolicyDefaults {
  /**
   * The action at both points when its variable is unset (default {@link DEFAULT_POLICY_ACTION}).
   * The pii app masks by default: personal data is replaced and the message goes on.
   */
  action?: PolicyAction;
}

/**
 * Reads the policy's variables; throws a `ConfigError` naming each bad one (a preset response with
 * an unknown placeholder, or `{terms}` without MODERATION_REPLY_SHOWS_TERMS, names its variable).
 */
export function readPolicySettings(env: Env, defaults: PolicyDefaults = {}): PolicySettings {
  const app = parseEnv(policyEnvSchema, env);
  const fallback = defaults.action ?? DEFAULT_POLICY_ACTION;
  const allowTerms = app.MODERATION_REPLY_SHOWS_TERMS;
  const problems: string[] = [];
  for (const name of ["MODERATION_INPUT_PRESET", "MODERATION_OUTPUT_PRESET"] as const) {
    const problem = replyTemplateProblem(app[name], { allowTerms });
    if (problem) problems.push(`${name}: ${problem}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(allowTerms && { replyShowsTerms: true }),
    input: {
      action: app.MODERATION_INPUT_ACTION ?? fallback,
      presetResponse: app.MODERATION_INPUT_PRESET,
      onEngineError: app.MODERATION_INPUT_ON_ERROR,
    },
    output: {
      action: app.MODERATION_OUTPUT_ACTION ?? fallback,
      presetResponse: app.MODERATION_OUTPUT_PRESET,
      onEngineError: app.MODERATION_OUTPUT_ON_ERROR,
    },
    ...(app.MODERATION_MASK_CHARACTER === undefined ? {} : { maskCharacter: app.MODERATION_MASK_CHARACTER }),
  };
}

/** `MODERATION_POLICY_FILE`: the per-app policy file (docs/policies.md), if any. */
export const policyFileEnvSchema = z.object({
  MODERATION_POLICY_FILE: z.string().optional(),
});

/** Reads MODERATION_POLICY_FILE: the policy file's path, or `undefined` for the environment's policy alone. */
export function readPolicyFile(env: Env): string | undefined {
  return parseEnv(policyFileEnvSchema, env).MODERATION_POLICY_FILE;
}
