import { EngineUnavailableError } from "@dify-ext/moderation-engines";
import { createOpenAIEngine, openAIWorstCaseMs } from "@dify-ext/moderation-engines/openai";
import type { WorkerEngineFactory } from "./index.ts";

/**
 * The OpenAI engine on a Worker (the SDK runs on fetch). Without OPENAI_API_KEY every call fails and
 * the failure policy answers; config refuses that in production, which Workers are by default.
 */
export const openaiWorkerEngine: WorkerEngineFactory = (config, logger) => {
  const { apiKey, ...options } = config.openai;
  if (!apiKey) {
    logger.warn({ engine: "openai" }, "OPENAI_API_KEY is not set: every moderation call is answered by the failure policy");
    return {
      name: "openai",
      async moderate() {
        throw new EngineUnavailableError("openai", "OPENAI_API_KEY is not set");
      },
    };
  }
  logger.info(
    { engine: "openai", model: options.model, timeoutMs: options.timeoutMs, worstCaseMs: openAIWorstCaseMs(options.timeoutMs, options.maxRetries) },
    "openai engine ready",
  );
  return createOpenAIEngine({ apiKey, ...options, logger });
};
