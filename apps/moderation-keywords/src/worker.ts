import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { keywordsWorkerEngine } from "@dify-ext/moderation-service/worker/keywords";
import lists from "dify-ext:keyword-lists";
import { loadConfig } from "./config.ts";

/** The keyword moderation app as a Cloudflare Worker (same config, composition and engine as under Node). */
export default createModerationWorker({
  name: "moderation-keywords",
  loadConfig,
  policy: lists.policy,
  engines: { keywords: keywordsWorkerEngine(lists) },
});
