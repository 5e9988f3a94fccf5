import { runService } from "@dify-ext/server/node";
import { createModerationApp } from "./app.ts";
import { type EngineName, loadModerationConfig } from "./config.ts";
import { createEngines } from "./engines.ts";

export interface RunModerationOptions {
  name: string;
  defaultPort: number;
  /** Fixed engines of a single-engine app; without it, `MODERATION_ENGINES` picks them. */
  engines?: readonly EngineName[];
}

/** The `main` of a moderation app: env → engines → policy → receive app → listen. */
export function runModerationService(options: RunModerationOptions) {
  return runService({
    name: options.name,
    loadConfig: (env) => loadModerationConfig(env, { defaultPort: options.defaultPort, engines: options.engines }),
    async start(config, { logger, metrics, receiveOptions }) {
      const set = await createEngines(config, logger, metrics);
      logger.info({ engines: config.engines }, "moderation engines ready");
      const app = createModerationApp({ config, engines: set.engines, receiveOptions: { ...receiveOptions, readiness: set.readiness } });
      return { app, onClose: () => set.close() };
    },
  });
}
