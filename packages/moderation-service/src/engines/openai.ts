import { EngineUnavailableError, type ModerationEngine } from "@dify-ext/moderation-engines";
import { createOpenAIEngine, openAIWorstCaseMs } from "@dify-ext/moderation-engines/openai";
import type { EngineContext } from "../compose.ts";
import type { OpenAISettings } from "../config/openai.ts";

const NO_KEY = "OPENAI_API_KEY is not set";

/**
 * The OpenAI engine from its settings, under Node and on Workers alike (the SDK runs on fetch).
 * Without OPENAI_API_KEY it still builds, for `pnpm dev` with no account: the app reports not
 * ready, every call fails and logs why, and the failure policy answers; the config refuses that
 * in production.
 */
export function openaiFromSettings(settings: OpenAISettings, context: EngineContext): ModerationEngine {
  const { logger, observer } = context;
  const { apiKey, ...options } = settings;
  if (!apiKey) {
    context.notReady(NO_KEY);
    logger.warn(
      { engine: "openai" },
      `${NO_KEY}: the openai engine cannot judge, so every moderation call is answered by the failure policy (MODERATION_INPUT_ON_ERROR / MODERATION_OUTPUT_ON_ERROR)`,
    );
    return {
      name: "openai",
      async moderate() {
        logger.warn({ engine: "openai" }, `${NO_KEY}: moderation answered by the failure policy`);
        throw new EngineUnavailableError("openai", NO_KEY);
      },
    };
  }
  logger.info(
    {
      engine: "openai",
      model: options.model,
      timeoutMs: options.timeoutMs,
      worstCaseMs: openAIWorstCaseMs(options.timeoutMs, options.maxRetries),
    },
    "openai engine ready",
  );
  return createOpenAIEngine({
    apiKey,
    ...options,
    logger,
    onUpstream: observer ? (event) => observer.observeUpstream(event) : undefined,
  });
}
