import {
  type Env,
  type ModerationConfig,
  readCommonSettings,
  readObscenitySettings,
  readPolicyFile,
  readPolicySettings,
  readStreamSettings,
  readPort,
  readSettings,
} from "@dify-ext/moderation-service/config";

/** Port of the obscenity app when `PORT` is not set. */
export const DEFAULT_PORT = 3002;

/**
 * Reads the obscenity app's variables once: the shared ones, the policy's and the obscenity
 * engine's (no other engine's). Throws a `ConfigError` with one line per bad variable, naming it.
 */
export function loadConfig(env: Env): ModerationConfig {
  const settings = readSettings({
    common: () => readCommonSettings(env),
    port: () => readPort(env, DEFAULT_PORT),
    policy: () => readPolicySettings(env),
    policyFile: () => readPolicyFile(env),
    stream: () => readStreamSettings(env),
    obscenity: () => readObscenitySettings(env),
  });
  return {
    common: settings.common,
    port: settings.port,
    policy: settings.policy,
    ...(settings.policyFile !== undefined && { policyFile: settings.policyFile }),
    stream: settings.stream,
    engines: { obscenity: settings.obscenity },
  };
}
