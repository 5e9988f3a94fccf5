import { createObscenityEngine } from "@dify-ext/moderation-engines/obscenity";
import { ConfigError } from "@dify-ext/server";
import type { WorkerEngineFactory } from "./index.ts";

/**
 * The obscenity engine on a Worker. An unusable extra or allowed term becomes a `ConfigError`
 * naming its variable, so the Worker's 500 says what to fix (under Node the process exits with it).
 */
export const obscenityWorkerEngine: WorkerEngineFactory = (config) => {
  try {
    return createObscenityEngine(config.obscenity);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/^obscenity (extra|allowed) term/.test(message)) {
      throw new ConfigError([`${message.includes("extra term") ? "OBSCENITY_EXTRA_TERMS" : "OBSCENITY_ALLOW_TERMS"}: ${message}`]);
    }
    throw error;
  }
};
