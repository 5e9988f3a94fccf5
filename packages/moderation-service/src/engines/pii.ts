import { isPiiType, PII_MASK_STYLES, PII_TYPES, type PiiEngineOptions } from "@dify-ext/moderation-engines/pii/types";
import { listVar, parseEnv } from "@dify-ext/runtime";
import { z } from "zod";
import { defineEngine, namingVariables } from "../engine-module.ts";

declare module "../config/read.ts" {
  interface EngineSettings {
    pii?: PiiSettings;
  }
}

/** The pii engine's settings: its options, each only when its variable is set. */
export type PiiSettings = PiiEngineOptions;

/**
 * The pii engine's variables. Unset PII_TYPES, PII_MASK_STYLE and PII_PHONE_REGION leave the
 * engine's own defaults (every type, label masks, US), written down once there.
 */
const env = z.object({
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

/** The variable each of the engine's options comes from, to name it when the engine refuses one. */
const VARIABLES = {
  types: "PII_TYPES",
  maskStyle: "PII_MASK_STYLE",
  phoneRegion: "PII_PHONE_REGION",
} as const satisfies Record<keyof PiiEngineOptions, string>;

/** Personal data and secrets: e-mail addresses, phone numbers, cards, IBANs, IDs, API keys. */
export const pii = defineEngine<PiiSettings>({
  name: "pii",
  rank: 30,
  summary: "personal data and secrets: e-mail addresses, phone numbers, cards, IBANs, IDs and API keys",
  docs: "app-moderation-pii.md",
  env,
  variables: {
    PII_TYPES: {
      default: "every type",
      meaning: `comma-separated, any case: ${PII_TYPES.map((type) => `\`${type}\``).join(", ")}. An unknown name stops the app`,
    },
    PII_MASK_STYLE: {
      default: "`label`",
      meaning:
        "`label`: each finding becomes its type label (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[IBAN]`, `[IP]`, `[ID_NUMBER]`, `[SSN]`, `[API_KEY]`, `[JWT]`, `[PRIVATE_KEY]`); `stars`: each character becomes `MODERATION_MASK_CHARACTER`",
    },
    PII_PHONE_REGION: {
      default: "`US`",
      meaning:
        "two-letter region (ISO 3166-1 alpha-2, any case) whose numbers may be written without `+` and a country code: `GB` for `020 7946 0958`, `DE` for `030 901820`. Numbers with `+` are found whatever the region. A region libphonenumber-js does not know stops the app",
    },
  },
  read(source) {
    const app = parseEnv(env, source);
    return {
      ...(app.PII_TYPES === undefined
        ? {}
        : { types: app.PII_TYPES.map((type) => type.toLowerCase()).filter(isPiiType) }),
      ...(app.PII_MASK_STYLE === undefined ? {} : { maskStyle: app.PII_MASK_STYLE }),
      ...(app.PII_PHONE_REGION === undefined ? {} : { phoneRegion: app.PII_PHONE_REGION.toUpperCase() }),
    };
  },
  /** An option the engine refuses (a phone region libphonenumber-js does not know) is a `ConfigError` naming its variable. */
  async create(settings) {
    const { createPiiEngine, PiiOptionError } = await import("@dify-ext/moderation-engines/pii");
    return namingVariables(PiiOptionError, VARIABLES, () => createPiiEngine(settings));
  },
});
