/**
 * How a moderation app reads its configuration: `defineModerationApp` (an app's `src/config.ts`),
 * and the readers of each group of variables (the shared ones, the policy's, the stream cache's;
 * each engine's are in its module), with `readSettings` to run them together so one start-up names
 * every bad variable. SDK-free: no engine's code is loaded here.
 */
export { ConfigError, type Env } from "@dify-ext/runtime";
export { defineModerationApp, type ModerationAppDefinition, type ModerationAppOptions } from "./app.ts";
export { DEFAULT_ENGINES, enginesNamedIn, readEngineList } from "./engines.ts";
export {
  DEFAULT_INPUT_PRESET,
  DEFAULT_OUTPUT_PRESET,
  DEFAULT_POLICY_ACTION,
  type PolicyDefaults,
  type PolicySettings,
  policyEnvSchema,
  policyFileEnvSchema,
  readPolicyFile,
  readPolicySettings,
} from "./policy.ts";
export { readStreamSettings, type StreamSettings, streamEnvSchema } from "./stream.ts";
export {
  readWebhookSettings,
  secretVariable,
  type WebhookSettings,
  webhookEnvSchema,
} from "./webhook.ts";
export { type EngineSettings, type ModerationConfig, readCommonSettings, readPort, readSettings } from "./read.ts";
