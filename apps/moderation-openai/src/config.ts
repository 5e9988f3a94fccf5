import {
  type Env,
  type ModerationConfig,
  readCommonSettings,
  readOpenAISettings,
  readPolicySettings,
  readStreamSettings,
  readPort,
  readSettings,
} from "@dify-ext/moderation-service/config";

/** Port of the OpenAI app when `PORT` is not set. */
export const DEFAULT_PORT = 3003;

/**
 * Reads the OpenAI app's variables once: the shared ones, the policy's and the OpenAI engine's
 * (no other engine's). Throws a `ConfigError` with one line per bad variable, naming it.
 */
export function loadConfig(env: Env): ModerationConfig {
  const settings = readSettings({
    common: () => readCommonSettings(env),
    port: () => readPort(env, DEFAULT_PORT),
    policy: () => readPolicySettings(env),
    stream: () => readStreamSettings(env),
    openai: () => readOpenAISettings(env),
  });
  return {
    common: settings.common,
    port: settings.port,
    policy: settings.policy,
    stream: settings.stream,
    engines: { openai: settings.openai },
  };
}
