import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { openaiWorkerEngine } from "@dify-ext/moderation-service/worker/openai";
import bundled from "dify-ext:keyword-lists";
import { loadConfig } from "./config.ts";

/**
 * The OpenAI moderation app as a Cloudflare Worker (same config, composition and engine as under
 * Node). Set OPENAI_API_KEY as a secret, like API_KEYS.
 */
export default createModerationWorker({
  name: "moderation-openai",
  loadConfig,
  // The policy file bundled at build time (MODERATION_POLICY_FILE), if any; this app bundles no lists of its own.
  policy: bundled.policy,
  engines: { openai: openaiWorkerEngine },
});
