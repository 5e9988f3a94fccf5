export { createModerationApp, type ModerationAppDeps } from "./app.ts";
export * from "./config.ts";
export { createEngines, type EngineSet } from "./engines.ts";
export { type RunModerationOptions, runModerationService } from "./run.ts";
