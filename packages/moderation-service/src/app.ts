import { createModerationPolicy, type ModerationEngine, moderationHandlers } from "@dify-ext/moderation-engines";
import type { Logger } from "@dify-ext/server";
import { createReceiveApp, type ReceiveApp } from "@dify-ext/server/node";
import type { ModerationConfig } from "./config.ts";

export interface ModerationAppDeps {
  config: Pick<ModerationConfig, "common" | "policy">;
  engines: readonly ModerationEngine[];
  logger?: Logger;
  readiness?: () => true | string;
}

/** A moderation app: the shared receive endpoint answering both moderation points through the policy. */
export function createModerationApp({ config, engines, logger, readiness }: ModerationAppDeps): ReceiveApp {
  const policy = createModerationPolicy({ ...config.policy, engines });
  return createReceiveApp({
    apiKeys: config.common.apiKeys,
    bodyLimit: config.common.bodyLimit,
    handlers: moderationHandlers(policy),
    logger,
    readiness,
  });
}
