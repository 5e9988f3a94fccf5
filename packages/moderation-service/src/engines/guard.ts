import { EngineUnavailableError, type ModerationEngine } from "@dify-ext/moderation-engines";
import { createGuardEngine, guardWorstCaseMs } from "@dify-ext/moderation-engines/guard";
import type { EngineContext } from "../compose.ts";
import type { GuardSettings } from "../config/guard.ts";

const NO_URL = "GUARD_BASE_URL is not set";

/**
 * The guard engine from its settings, under Node and on Workers alike (the SDK runs on fetch).
 * Without GUARD_BASE_URL it still builds, for `pnpm dev` with no model running: the app reports not
 * ready, every call fails and logs why, and the failure policy answers; the config refuses that in
 * production.
 */
export function guardFromSettings(settings: GuardSettings, context: EngineContext): ModerationEngine {
  const { logger, observer } = context;
  const { baseURL, model, apiKey, format, categories, ...options } = settings;
  if (!baseURL || !model) {
    context.notReady(NO_URL);
    logger.warn(
      { engine: "guard" },
      `${NO_URL}: the guard engine cannot judge, so every moderation call is answered by the failure policy (MODERATION_INPUT_ON_ERROR / MODERATION_OUTPUT_ON_ERROR)`,
    );
    return {
      name: "guard",
      async moderate() {
        logger.warn({ engine: "guard" }, `${NO_URL}: moderation answered by the failure policy`);
        throw new EngineUnavailableError("guard", NO_URL);
      },
    };
  }
  const engine = createGuardEngine({
    baseURL,
    model,
    ...(apiKey ? { apiKey } : {}),
    ...(format ? { format } : {}),
    categories,
    ...options,
    logger,
    onUpstream: observer ? (event) => observer.observeUpstream(event) : undefined,
  });
  logger.info(
    {
      engine: "guard",
      model,
      format,
      timeoutMs: options.timeoutMs,
      worstCaseMs: guardWorstCaseMs(options.timeoutMs, options.maxRetries),
      windowChars: options.window.chars,
    },
    "guard engine ready",
  );
  return engine;
}
