import {
  type Env,
  type ModerationConfig,
  readCommonSettings,
  readPiiSettings,
  readPolicyFile,
  readPolicySettings,
  readPort,
  readSettings,
  readStreamSettings,
} from "@dify-ext/moderation-service/config";

/** Port of the pii app when `PORT` is not set. */
export const DEFAULT_PORT = 3005;

/**
 * Reads the pii app's variables once: the shared ones, the policy's and the pii engine's (no other
 * engine's). Unlike the other apps, both points mask by default (MODERATION_INPUT_ACTION and
 * MODERATION_OUTPUT_ACTION unset): personal data is replaced and the message goes on to the model,
 * the answer on to the user. Throws a `ConfigError` with one line per bad variable, naming it.
 */
export function loadConfig(env: Env): ModerationConfig {
  const settings = readSettings({
    common: () => readCommonSettings(env),
    port: () => readPort(env, DEFAULT_PORT),
    policy: () => readPolicySettings(env, { action: "mask" }),
    policyFile: () => readPolicyFile(env),
    stream: () => readStreamSettings(env),
    pii: () => readPiiSettings(env),
  });
  return {
    common: settings.common,
    port: settings.port,
    policy: settings.policy,
    ...(settings.policyFile !== undefined && { policyFile: settings.policyFile }),
    stream: settings.stream,
    engines: { pii: settings.pii },
  };
}
