import type { ModerationEngine } from "@dify-ext/moderation-engines";
import { createObscenityEngine } from "@dify-ext/moderation-engines/obscenity";
import { ConfigError } from "@dify-ext/server";
import type { ModerationConfig } from "../config.ts";

/**
 * The obscenity engine from the app's config, under Node and on Workers alike. An unusable extra or
 * allowed term becomes a `ConfigError` naming its variable, so the start-up line (Node) or the
 * Worker's 500 says what to fix.
 */
export function obscenityFromConfig(config: Pick<ModerationConfig, "obscenity">): ModerationEngine {
  try {
    return createObscenityEngine(config.obscenity);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/^obscenity (extra|allowed) term/.test(message)) {
      throw new ConfigError([`${message.includes("extra term") ? "OBSCENITY_EXTRA_TERMS" : "OBSCENITY_ALLOW_TERMS"}: ${message}`]);
    }
    throw error;
  }
}
