import { z } from "zod";
import type { ModerationPolicyOptions } from "./policy.ts";

export const DEFAULT_INPUT_PRESET = "Sorry, your message was blocked by content moderation.";
export const DEFAULT_OUTPUT_PRESET = "Sorry, this answer was withheld by content moderation.";

const action = z.enum(["block", "mask"], { error: "expected block or mask" });
const failure = z.enum(["open", "closed"], { error: "expected open or closed" });

/**
 * The env vars of the policy layer, shared by every moderation app. Parse them with the server
 * package's `parseEnv`/`parseAppEnv` (packages never read `process.env` themselves).
 */
export const policyEnvSchema = z.object({
  MODERATION_INPUT_ACTION: action.default("block"),
  MODERATION_OUTPUT_ACTION: action.default("block"),
  MODERATION_INPUT_PRESET: z.string().default(DEFAULT_INPUT_PRESET),
  MODERATION_OUTPUT_PRESET: z.string().default(DEFAULT_OUTPUT_PRESET),
  MODERATION_INPUT_ON_ERROR: failure.default("open"),
  MODERATION_OUTPUT_ON_ERROR: failure.default("open"),
  MODERATION_MASK_CHARACTER: z
    .string()
    .refine((value) => [...value].length === 1, "expected exactly one character")
    .default("*"),
});

export type PolicyEnv = z.output<typeof policyEnvSchema>;

/** Turns the parsed policy env vars into policy options (engines are added by the app). */
export function policyOptionsFromEnv(env: PolicyEnv): Omit<ModerationPolicyOptions, "engines"> {
  return {
    input: {
      action: env.MODERATION_INPUT_ACTION,
      presetResponse: env.MODERATION_INPUT_PRESET,
      onEngineError: env.MODERATION_INPUT_ON_ERROR,
    },
    output: {
      action: env.MODERATION_OUTPUT_ACTION,
      presetResponse: env.MODERATION_OUTPUT_PRESET,
      onEngineError: env.MODERATION_OUTPUT_ON_ERROR,
    },
    maskCharacter: env.MODERATION_MASK_CHARACTER,
  };
}
