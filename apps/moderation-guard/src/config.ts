import {
  type Env,
  type ModerationConfig,
  readCommonSettings,
  readGuardSettings,
  readPolicyFile,
  readPolicySettings,
  readPort,
  readSettings,
  readStreamSettings,
} from "@dify-ext/moderation-service/config";

/** Port of the guard app when `PORT` is not set. */
export const DEFAULT_PORT = 3006;

/**
 * Reads the guard app's variables once: the shared ones, the policy's and the guard engine's (no
 * other engine's). Throws a `ConfigError` with one line per bad variable, naming it.
 */
export function loadConfig(env: Env): ModerationConfig {
  const settings = readSettings({
    common: () => readCommonSettings(env),
    port: () => readPort(env, DEFAULT_PORT),
    policy: () => readPolicySettings(env),
    policyFile: () => readPolicyFile(env),
    stream: () => readStreamSettings(env),
    guard: () => readGuardSettings(env),
  });
  return {
    common: settings.common,
    port: settings.port,
    policy: settings.policy,
    ...(settings.policyFile !== undefined && { policyFile: settings.policyFile }),
    stream: settings.stream,
    engines: { guard: settings.guard },
  };
}
