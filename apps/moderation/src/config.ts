import {
  type Env,
  DEFAULT_ENGINES,
  enginesNamedIn,
  type ModerationConfig,
  readCommonSettings,
  readEngineList,
  readGuardSettings,
  readKeywordsSettings,
  readObscenitySettings,
  readOpenAISettings,
  readPiiSettings,
  readPolicyFile,
  readPolicySettings,
  readStreamSettings,
  readPort,
  readSettings,
} from "@dify-ext/moderation-service/config";

/** Port of the composite app when `PORT` is not set. */
export const DEFAULT_PORT = 3000;

/**
 * Reads the composite app's variables once: the shared ones, the policy's, MODERATION_ENGINES
 * (default keywords,obscenity) and the variables of the engines it names, and only those, so a
 * leftover variable of an engine not in use never stops the app. Throws a `ConfigError` with one
 * line per bad variable, naming it.
 */
export function loadConfig(env: Env): ModerationConfig {
  // Leniently, so a bad MODERATION_ENGINES is reported together with the named engines' problems.
  const named = enginesNamedIn(env, DEFAULT_ENGINES);
  const settings = readSettings({
    common: () => readCommonSettings(env),
    port: () => readPort(env, DEFAULT_PORT),
    policy: () => readPolicySettings(env),
    policyFile: () => readPolicyFile(env),
    stream: () => readStreamSettings(env),
    engines: () => readEngineList(env, DEFAULT_ENGINES),
    keywords: () => (named.includes("keywords") ? readKeywordsSettings(env) : undefined),
    obscenity: () => (named.includes("obscenity") ? readObscenitySettings(env) : undefined),
    pii: () => (named.includes("pii") ? readPiiSettings(env) : undefined),
    openai: () => (named.includes("openai") ? readOpenAISettings(env) : undefined),
    guard: () => (named.includes("guard") ? readGuardSettings(env) : undefined),
  });
  const { keywords, obscenity, pii, openai, guard } = settings;
  return {
    common: settings.common,
    port: settings.port,
    policy: settings.policy,
    ...(settings.policyFile !== undefined && { policyFile: settings.policyFile }),
    stream: settings.stream,
    engines: {
      ...(keywords && { keywords }),
      ...(obscenity && { obscenity }),
      ...(pii && { pii }),
      ...(openai && { openai }),
      ...(guard && { guard }),
    },
  };
}
