import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { piiWorkerEngine } from "@dify-ext/moderation-service/worker/pii";
import bundled from "dify-ext:keyword-lists";
import { loadConfig } from "./config.ts";

/** The pii moderation app as a Cloudflare Worker (same config, composition and engine as under Node). */
export default createModerationWorker({
  name: "moderation-pii",
  loadConfig,
  // The policy file bundled at build time (MODERATION_POLICY_FILE), if any; this app bundles no lists of its own.
  policy: bundled.policy,
  engines: { pii: piiWorkerEngine },
});
