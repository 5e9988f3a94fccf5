import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { guardWorkerEngine } from "@dify-ext/moderation-service/worker/guard";
import bundled from "dify-ext:keyword-lists";
import { loadConfig } from "./config.ts";

/**
 * The guard moderation app as a Cloudflare Worker (same config, composition and engine as under
 * Node). The guard model must be reachable from Cloudflare (a public URL, or a Cloudflare Tunnel);
 * set GUARD_API_KEY as a secret, like API_KEYS.
 */
export default createModerationWorker({
  name: "moderation-guard",
  loadConfig,
  // The policy file bundled at build time (MODERATION_POLICY_FILE), if any; this app bundles no lists of its own.
  policy: bundled.policy,
  engines: { guard: guardWorkerEngine },
});
