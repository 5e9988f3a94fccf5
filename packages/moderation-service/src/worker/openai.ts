import { EngineUnavailableError } from "@dify-ext/moderation-engines";
import { createOpenAIEngine } from "@dify-ext/moderation-engines/openai";
import type { WorkerEngineFactory } from "./index.ts";

/**
 * The OpenAI engine on a Worker (the SDK runs on fetch). Without OPENAI_API_KEY every call fails and
 * the failure policy answers; config refuses that in production, which Workers are by default.
 */
export const openaiWorkerEngine: WorkerEngineFactory = (config, logger) => {
  const { apiKey, ...options } = config.openai;
  if (!apiKey) {
    return {
      name: "openai",
      async moderate() {
        throw new EngineUnavailableError("openai", "OPENAI_API_KEY is not set");
      },
    };
  }
  return createOpenAIEngine({ apiKey, ...options, logger });
};
