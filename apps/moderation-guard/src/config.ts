import { defineModerationApp } from "@dify-ext/moderation-service/config";
import { guard } from "@dify-ext/moderation-service/engines/guard";

/**
 * The guard moderation app: a self-hosted guard model, on port 3006. The model must be reachable
 * from where the app runs (on Workers: a public URL or a Cloudflare Tunnel; GUARD_API_KEY as a secret).
 */
export const app = defineModerationApp({
  name: "moderation-guard",
  port: 3006,
  engines: [guard],
});

/** Reads the app's variables: the shared ones, the policy's and its engine's (no other engine's). */
export const loadConfig = app.loadConfig;
