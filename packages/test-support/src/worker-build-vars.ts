/**
 * Variables a Worker reads at build time (`dify-ext-worker-files` bundles the files they name), not
 * as bindings. The engine registry's test checks this list against the engines' file variables.
 */
export const WORKER_BUILD_VARS = [
  "KEYWORDS_FILES",
  "KEYWORDS_ALLOW_FILES",
  "INJECTION_RULES_FILE",
  "MODERATION_POLICY_FILE",
] as const;
