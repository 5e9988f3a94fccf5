import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { obscenityWorkerEngine } from "@dify-ext/moderation-service/worker/obscenity";
import { loadConfig } from "./config.ts";

/** The obscenity moderation app as a Cloudflare Worker (same config, composition and engine as under Node). */
export default createModerationWorker({
  name: "moderation-obscenity",
  loadConfig,
  engines: { obscenity: obscenityWorkerEngine },
});
