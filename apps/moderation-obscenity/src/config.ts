import { defineModerationApp } from "@dify-ext/moderation-service/config";
import { obscenity } from "@dify-ext/moderation-service/engines/obscenity";

/**
 * The obscenity moderation app: English profanity with evasion handling, on port 3002.
 */
export const app = defineModerationApp({
  name: "moderation-obscenity",
  port: 3002,
  engines: [obscenity],
});

/** Reads the app's variables: the shared ones, the policy's and its engine's (no other engine's). */
export const loadConfig = app.loadConfig;
