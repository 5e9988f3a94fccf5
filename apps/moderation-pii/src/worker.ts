import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { piiWorkerEngine } from "@dify-ext/moderation-service/worker/pii";
import { loadConfig } from "./config.ts";

/** The pii moderation app as a Cloudflare Worker (same config, composition and engine as under Node). */
export default createModerationWorker({
  name: "moderation-pii",
  loadConfig,
  engines: { pii: piiWorkerEngine },
});
