import { defineModerationApp } from "@dify-ext/moderation-service/config";
import { openai } from "@dify-ext/moderation-service/engines/openai";

/**
 * The OpenAI moderation app: OpenAI's moderation API, on port 3003. Set OPENAI_API_KEY (on Workers as a secret, like API_KEYS).
 */
export const app = defineModerationApp({
  name: "moderation-openai",
  port: 3003,
  engines: [openai],
});

/** Reads the app's variables: the shared ones, the policy's and its engine's (no other engine's). */
export const loadConfig = app.loadConfig;
