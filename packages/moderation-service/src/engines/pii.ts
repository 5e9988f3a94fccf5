import type { ModerationEngine } from "@dify-ext/moderation-engines";
import { createPiiEngine, PiiOptionError } from "@dify-ext/moderation-engines/pii";
import { ConfigError } from "@dify-ext/runtime";
import { PII_VARIABLES, type PiiSettings } from "../config/pii.ts";

/**
 * The pii engine from its settings, under Node and on Workers alike. An option the engine refuses
 * (a phone region libphonenumber-js does not know) becomes a `ConfigError` naming its variable.
 */
export function piiFromSettings(settings: PiiSettings): ModerationEngine {
  try {
    return createPiiEngine(settings);
  } catch (error) {
    if (error instanceof PiiOptionError) throw new ConfigError([`${PII_VARIABLES[error.option]}: ${error.message}`]);
    throw error;
  }
}
