import type { Logger } from "@dify-ext/server";
import { commonReceiveOptions, createReceiveApp, type ReceiveApp, type ServiceMetrics } from "@dify-ext/server/node";
import { composeModeration, type Moderation } from "./compose.ts";
import { buildPlaygroundPage } from "./playground-page.ts";
import type { ModerationConfig } from "./config/read.ts";
import { nodeEngines } from "./node-engines.ts";

export interface ModerationAppDeps {
  config: ModerationConfig;
  logger: Logger;
  /** Prometheus metrics from `runService` (requests, verdicts, OpenAI calls); none in tests. */
  metrics?: ServiceMetrics;
}

/** A moderation app under Node, not yet listening, with what shutdown needs. */
export interface ModerationApp {
  app: ReceiveApp;
  moderation: Moderation;
}

/**
 * Builds a moderation app under Node and never listens (tests drive `app.callback()` in-process):
 * config → engines → policy → handlers (`composeModeration`, shared with the Worker) → the shared
 * Koa receive app, with `/readyz` reporting whether every engine can judge.
 */
export async function createModerationApp({ config, logger, metrics }: ModerationAppDeps): Promise<ModerationApp> {
  const moderation = await composeModeration(config, nodeEngines, { logger, observer: metrics });
  // The page is bundled once, at start-up, and only when the playground is on.
  const page = config.common.playground ? await buildPlaygroundPage() : undefined;
  const app = createReceiveApp({
    ...commonReceiveOptions(config.common, logger, metrics),
    handlers: moderation.handlers,
    readiness: moderation.readiness,
    ...(page && { playground: { explain: moderation.explain, page } }),
  });
  if (page) logger.info({ path: "/playground" }, "playground on (PLAYGROUND): GET /playground");
  return { app, moderation };
}
