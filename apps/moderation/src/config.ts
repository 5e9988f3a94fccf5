import { defineModerationApp } from "@dify-ext/moderation-service/config";
import { ENGINES } from "@dify-ext/moderation-service/engines";

/**
 * The composite moderation app, on port 3000: every registered engine, of which MODERATION_ENGINES
 * picks the ones to run (default: those that need no account, keywords and obscenity). Only the
 * named engines' variables are read, so a leftover variable of an engine not in use never stops it.
 */
export const app = defineModerationApp({ name: "moderation", port: 3000, engines: ENGINES, selectable: true });

/** Reads the app's variables: the shared ones, the policy's, MODERATION_ENGINES and the named engines'. */
export const loadConfig = app.loadConfig;
