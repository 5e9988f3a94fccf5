import type { Logger } from "@dify-ext/receive";
import { commonReceiveOptions, type ServiceMetrics, type SharedState } from "@dify-ext/runtime/node";
import { createReceiveApp, type ReceiveApp } from "@dify-ext/receive/koa";
import { composeModeration, type Moderation } from "./compose.ts";
import type { ModerationConfig } from "./config/read.ts";
import type { AnyEngineModule } from "./engine-module.ts";
import { ENGINES } from "./engines/index.ts";
import { nodeEngineFiles } from "./node-files.ts";
import { buildPlaygroundPage, playgroundRoutes } from "./playground.ts";
import { readPolicyFileSource, watchPolicyFile } from "./policies/node.ts";
import { createWebhookHub } from "./webhooks/hub.ts";

export interface ModerationAppDeps {
  config: ModerationConfig;
  logger: Logger;
  /** Prometheus metrics from `runService` (requests, verdicts, OpenAI calls); none in tests. */
  metrics?: ServiceMetrics;
  /** Watch MODERATION_POLICY_FILE and reload it when it changes (default `true`; SIGHUP reloads either way). */
  watchPolicy?: boolean;
  /** The engines' modules the app can build (default: every registered engine). */
  engines?: readonly AnyEngineModule[];
  /**
   * The state replicas share (SHARED_STATE_URL, from `runService`): upstream verdicts,
   * streamed-answer judgements, rate-limit buckets, and its state in `/readyz`.
   */
  shared?: SharedState;
  /** The service's name, in verdict webhook events (default `moderation`). */
  service?: string;
}

/** A moderation app under Node, not yet listening, with what shutdown needs. */
export interface ModerationApp {
  app: ReceiveApp;
  moderation: Moderation;
  /** Reloads MODERATION_POLICY_FILE now; `false` when it is broken (logged) or not set. */
  reloadPolicy(): Promise<boolean>;
  /**
   * Stops watchers (the policy file's and the engines') and sends the verdict events still queued,
   * for up to WEBHOOK_SHUTDOWN_MS.
   */
  close(): Promise<void>;
}

/**
 * Builds a moderation app under Node and never listens (tests drive `app.callback()` in-process):
 * config → policy file → engines → policies → handlers (`composeModeration`, shared with the
 * Worker) → the shared Koa receive app, with `/readyz` reporting whether every engine can judge.
 */
export async function createModerationApp({
  config,
  logger,
  metrics,
  watchPolicy,
  engines = ENGINES,
  shared,
  service = "moderation",
}: ModerationAppDeps): Promise<ModerationApp> {
  const policyFile = config.policyFile === undefined ? undefined : await readPolicyFileSource(config.policyFile);
  const webhooks = config.webhook && createWebhookHub(config.webhook, { service, logger, observer: metrics });
  const moderation = await composeModeration(config, engines, {
    logger,
    observer: metrics,
    policyFile,
    files: nodeEngineFiles(logger),
    onState: (state) => metrics?.engineReadiness(state.engines.map(({ engine, ready }) => ({ engine, ready }))),
    ...(shared && { shared: shared.store }),
    ...(webhooks && { webhooks }),
  });
  const watcher =
    config.policyFile === undefined
      ? undefined
      : watchPolicyFile(config.policyFile, moderation, logger, { watch: watchPolicy ?? true });
  // The page is bundled once, at start-up, and only when the playground is on.
  const page = config.common.playground ? await buildPlaygroundPage() : undefined;
  const app = createReceiveApp({
    ...commonReceiveOptions(config.common, logger, metrics, shared),
    handlers: moderation.handlers,
    readiness: moderation.readiness,
    ...(page && { extraRoutes: playgroundRoutes(moderation.explain, page) }),
  });
  if (page) logger.info({ path: "/playground" }, "playground on (PLAYGROUND): GET /playground");
  return {
    app,
    moderation,
    reloadPolicy: () => watcher?.reload() ?? Promise.resolve(false),
    async close() {
      watcher?.close();
      moderation.close();
      await webhooks?.close();
    },
  };
}
