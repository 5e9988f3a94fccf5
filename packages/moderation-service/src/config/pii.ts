import { isPiiType, PII_MASK_STYLES, PII_TYPES, type PiiEngineOptions } from "@dify-ext/moderation-engines/pii/types";
import { type Env, listVar, parseEnv } from "@dify-ext/runtime";
import { z } from "zod";

/**
 * The pii engine's variables. Unset PII_TYPES, PII_MASK_STYLE and PII_PHONE_REGION leave the
 * engine's own defaults (every type, label masks, US), written down once there.
 */
export const piiEnvSchema = z.object({
  PII_TYPES: listVar().superRefine((types, ctx) => {
    if (types === undefined) return;
    if (types.length === 0) ctx.addIssue({ code: "custom", message: `expected any of ${PII_TYPES.join(", ")}` });
    types.forEach((type, index) => {
      if (!isPiiType(type.toLowerCase()))
        ctx.addIssue({
          code: "custom",
          message: `unknown type #${index + 1} "${type.slice(0, 40)}"; expected any of ${PII_TYPES.join(", ")}`,
        });
    });
  }),
  PII_MASK_STYLE: z.enum(PII_MASK_STYLES, { error: "expected label or stars" }).optional(),
  PII_PHONE_REGION: z
    .string()
    .regex(/^[A-Za-z]{2}$/, "expected a two-letter region code (ISO 3166-1 alpha-2) such as US, GB, DE or CN")
    .optional(),
});

/** The pii engine's settings: its options, each only when its variable is set. */
export type PiiSettings = PiiEngineOptions;

/** The variable each of the engine's options comes from, to name it when the engine refuses one. */
export const PII_VARIABLES = {
  types: "PII_TYPES",
  maskStyle: "PII_MASK_STYLE",
  phoneRegion: "PII_PHONE_REGION",
} as const satisfies Record<keyof PiiEngineOptions, string>;

/** Reads the pii engine's variables; throws a `ConfigError` naming each bad one. */
export function readPiiSettings(env: Env): PiiSettings {
  const app = parseEnv(piiEnvSchema, env);
  return {
    ...(app.PII_TYPES === undefined
      ? {}
      : { types: app.PII_TYPES.map((type) => type.toLowerCase()).filter(isPiiType) }),
    ...(app.PII_MASK_STYLE === undefined ? {} : { maskStyle: app.PII_MASK_STYLE }),
    ...(app.PII_PHONE_REGION === undefined ? {} : { phoneRegion: app.PII_PHONE_REGION.toUpperCase() }),
  };
}
