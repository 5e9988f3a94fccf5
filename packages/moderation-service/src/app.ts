import { createModerationPolicy, type ModerationEngine, moderationHandlers } from "@dify-ext/moderation-engines";
import type { ReceiveOptions } from "@dify-ext/server";
import { createReceiveApp, type ReceiveApp } from "@dify-ext/server/node";
import type { ModerationConfig } from "./config.ts";

export interface ModerationAppDeps {
  config: Pick<ModerationConfig, "policy"> & { common: { logUserText: boolean } };
  engines: readonly ModerationEngine[];
  /** Keys, limits, logging and metrics: `ServiceContext.receiveOptions` from `runService`. */
  receiveOptions: Omit<ReceiveOptions, "handlers">;
}

/** A moderation app: the shared receive endpoint answering both moderation points through the policy. */
export function createModerationApp({ config, engines, receiveOptions }: ModerationAppDeps): ReceiveApp {
  const policy = createModerationPolicy({ ...config.policy, engines });
  return createReceiveApp({ ...receiveOptions, handlers: moderationHandlers(policy, { logUserText: config.common.logUserText }) });
}
