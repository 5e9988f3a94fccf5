import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { keywordsWorkerEngine } from "@dify-ext/moderation-service/worker/keywords";
import lists from "dify-ext:keyword-lists";

/** The keyword moderation app as a Cloudflare Worker (same core and engine as under Node). */
export default createModerationWorker({ name: "moderation-keywords", engines: { keywords: keywordsWorkerEngine(lists) } });
