/**
 * The composition every moderation app shares, under Node. Apps build their config from the
 * pieces in `@dify-ext/moderation-service/config` and pass it to `runModerationService` (their
 * `main`) or `createModerationApp` (tests); Workers use `@dify-ext/moderation-service/worker`.
 */
export { createModerationApp, type ModerationApp, type ModerationAppDeps } from "./app.ts";
export {
  composeModeration,
  type EngineContext,
  type EngineFactories,
  type EngineFactory,
  type Moderation,
} from "./compose.ts";
export { type ModerationHandlers, moderationHandlers } from "./handlers.ts";
export { nodeEngines } from "./node-engines.ts";
export { type RunModerationOptions, runModerationService } from "./run.ts";
