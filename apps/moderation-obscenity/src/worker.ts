import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { obscenityWorkerEngine } from "@dify-ext/moderation-service/worker/obscenity";

/** The obscenity moderation app as a Cloudflare Worker (same core and engine as under Node). */
export default createModerationWorker({ name: "moderation-obscenity", engines: { obscenity: obscenityWorkerEngine } });
