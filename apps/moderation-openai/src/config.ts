import {
  type Env,
  type ModerationConfig,
  readCommonSettings,
  readOpenAISettings,
  readPolicyFile,
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
    policyFile: () => readPolicyFile(env),
    stream: () => readStreamSettings(env),
    openai: () => readOpenAISettings(env),
  });
  return {
    common: settings.common,
    port: settings.port,
    policy: settings.policy,
    ...(settings.policyFile !== undefined && { policyFile: settings.policyFile }),
    stream: settings.stream,
    engines: { openai: settings.openai },
  };
}
