/**
 * The pieces each moderation app builds its `src/config.ts` from: one reader per group of
 * variables (the shared ones, the policy's, each engine's), and `readSettings` to run them
 * together so one start-up names every bad variable. SDK-free: the OpenAI section only needs the
 * engine's settings table.
 */
export { ConfigError, type Env } from "@dify-ext/runtime";
export { DEFAULT_ENGINES, ENGINE_NAMES, type EngineName, enginesNamedIn, readEngineList } from "./engines.ts";
export { type GuardSettings, guardEnvSchema, readGuardSettings } from "./guard.ts";
export { type KeywordsSettings, keywordsEnvSchema, readKeywordsSettings } from "./keywords.ts";
export { OBSCENITY_VARIABLES, type ObscenitySettings, obscenityEnvSchema, readObscenitySettings } from "./obscenity.ts";
export { PII_VARIABLES, type PiiSettings, piiEnvSchema, readPiiSettings } from "./pii.ts";
export { type OpenAISettings, openaiEnvSchema, parseThresholds, readOpenAISettings } from "./openai.ts";
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
export { type EngineSettings, type ModerationConfig, readCommonSettings, readPort, readSettings } from "./read.ts";
