import { runService } from "@dify-ext/runtime/node";
import { createModerationApp } from "./app.ts";
import type { ModerationAppDefinition } from "./config/app.ts";
import { serviceState } from "./state.ts";

/** The `main` of a moderation app: env → config → engines → policy → receive app → listen. */
export function runModerationService(app: ModerationAppDefinition) {
  return runService({
    name: app.name,
    loadConfig: app.loadConfig,
    async start(config, { logger, metrics, shared }) {
      const moderation = await createModerationApp({
        config,
        logger,
        metrics,
        engines: app.engines,
        shared,
        service: app.name,
      });
      return {
        app: moderation.app,
        onClose: () => moderation.close(),
        state: () => serviceState(moderation.moderation.state()),
      };
    },
  });
}
