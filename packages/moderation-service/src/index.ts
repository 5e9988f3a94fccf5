/**
 * The composition every moderation app shares, under Node. An app defines itself with
 * `defineModerationApp` (`@dify-ext/moderation-service/config`) from the engines' modules
 * (`@dify-ext/moderation-service/engines`, one module per engine) and runs with
 * `runModerationService` (its `main`); tests build it with `createModerationApp`; Workers use
 * `@dify-ext/moderation-service/worker`.
 */
export { createModerationApp, type ModerationApp, type ModerationAppDeps } from "./app.ts";
export { composeModeration, type Moderation } from "./compose.ts";
export type { AnyEngineModule, EngineContext, EngineFiles, EngineModule } from "./engine-module.ts";
export { type ModerationHandlers, moderationHandlers } from "./handlers.ts";
export { runModerationService } from "./run.ts";
