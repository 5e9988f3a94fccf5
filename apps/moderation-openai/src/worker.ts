import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { openaiWorkerEngine } from "@dify-ext/moderation-service/worker/openai";
import { loadConfig } from "./config.ts";

/**
 * The OpenAI moderation app as a Cloudflare Worker (same config, composition and engine as under
 * Node). Set OPENAI_API_KEY as a secret, like API_KEYS.
 */
export default createModerationWorker({
  name: "moderation-openai",
  loadConfig,
  engines: { openai: openaiWorkerEngine },
});
