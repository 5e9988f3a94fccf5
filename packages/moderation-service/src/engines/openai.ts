import { EngineUnavailableError, type ModerationEngine } from "@dify-ext/moderation-engines";
import { createOpenAIEngine, openAIWorstCaseMs } from "@dify-ext/moderation-engines/openai";
import type { Logger, UpstreamObserver } from "@dify-ext/server";
import type { ModerationConfig } from "../config.ts";

/**
 * The OpenAI engine from the app's config, under Node and on Workers alike (the SDK runs on fetch).
 * Without OPENAI_API_KEY it still builds, for `pnpm dev` with no account: every call then fails
 * and logs why, and the failure policy answers; the config refuses that in production.
 */
export function openaiFromConfig(config: Pick<ModerationConfig, "openai">, logger: Logger, observer?: UpstreamObserver): ModerationEngine {
  const { apiKey, ...options } = config.openai;
  if (!apiKey) {
    logger.warn(
      { engine: "openai" },
      "OPENAI_API_KEY is not set: the openai engine cannot judge, so every moderation call is answered by the failure policy (MODERATION_INPUT_ON_ERROR / MODERATION_OUTPUT_ON_ERROR)",
    );
    return {
      name: "openai",
      async moderate() {
        logger.warn({ engine: "openai" }, "OPENAI_API_KEY is not set: moderation answered by the failure policy");
        throw new EngineUnavailableError("openai", "OPENAI_API_KEY is not set");
      },
    };
  }
  logger.info(
    { engine: "openai", model: options.model, timeoutMs: options.timeoutMs, worstCaseMs: openAIWorstCaseMs(options.timeoutMs, options.maxRetries) },
    "openai engine ready",
  );
  return createOpenAIEngine({
    apiKey,
    ...options,
    logger,
    onUpstream: observer ? (event) => observer.observeUpstream(event) : undefined,
  });
}
