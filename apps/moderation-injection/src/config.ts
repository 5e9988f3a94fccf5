import { defineModerationApp } from "@dify-ext/moderation-service/config";
import { injection } from "@dify-ext/moderation-service/engines/injection";

/**
 * The injection moderation app: prompt injection and jailbreaks, on port 3007. Inputs are judged as
 * well as the query (indirect injection arrives in pasted text); answers for canaries and
 * chat-template tokens.
 */
export const app = defineModerationApp({ name: "moderation-injection", port: 3007, engines: [injection] });

/** Reads the app's variables: the shared ones, the policy's and its engine's (no other engine's). */
export const loadConfig = app.loadConfig;
