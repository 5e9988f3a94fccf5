import { defineModerationApp } from "@dify-ext/moderation-service/config";
import { keywords } from "@dify-ext/moderation-service/engines/keywords";

/**
 * The keyword moderation app: your keyword lists, on port 3001.
 */
export const app = defineModerationApp({
  name: "moderation-keywords",
  port: 3001,
  engines: [keywords],
});

/** Reads the app's variables: the shared ones, the policy's and its engine's (no other engine's). */
export const loadConfig = app.loadConfig;
