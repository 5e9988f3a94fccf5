import type { ModerationEngine } from "@dify-ext/moderation-engines";
import { createObscenityEngine, ObscenityTermError } from "@dify-ext/moderation-engines/obscenity";
import { ConfigError } from "@dify-ext/runtime";
import { OBSCENITY_VARIABLES, type ObscenitySettings } from "../config/obscenity.ts";

/**
 * The obscenity engine from its settings, under Node and on Workers alike. An unusable extra or
 * allowed term becomes a `ConfigError` naming its variable, so the start-up line (Node) or the
 * Worker's 500 says what to fix.
 */
export function obscenityFromSettings(settings: ObscenitySettings): ModerationEngine {
  try {
    return createObscenityEngine(settings);
  } catch (error) {
    if (error instanceof ObscenityTermError)
      throw new ConfigError([`${OBSCENITY_VARIABLES[error.option]}: ${error.message}`]);
    throw error;
  }
}
