import type { Env } from "@dify-ext/server";
import { runService } from "@dify-ext/server/node";
import { createModerationApp } from "./app.ts";
import type { ModerationConfig } from "./config/read.ts";
import { serviceState } from "./state.ts";

export interface RunModerationOptions {
  /** Service name, on every log line and metric. */
  name: string;
  /** The app's own `loadConfig` (its `src/config.ts`). */
  loadConfig: (env: Env) => ModerationConfig;
}

/** The `main` of a moderation app: env → config → engines → policy → receive app → listen. */
export function runModerationService(options: RunModerationOptions) {
  return runService({
    name: options.name,
    loadConfig: options.loadConfig,
    async start(config, { logger, metrics }) {
      const moderation = await createModerationApp({ config, logger, metrics });
      return {
        app: moderation.app,
        onClose: () => moderation.close(),
        state: () => serviceState(moderation.moderation.state()),
      };
    },
  });
}
