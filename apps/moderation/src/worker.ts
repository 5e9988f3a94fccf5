import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import { guardWorkerEngine } from "@dify-ext/moderation-service/worker/guard";
import { keywordsWorkerEngine } from "@dify-ext/moderation-service/worker/keywords";
import { obscenityWorkerEngine } from "@dify-ext/moderation-service/worker/obscenity";
import { openaiWorkerEngine } from "@dify-ext/moderation-service/worker/openai";
import { piiWorkerEngine } from "@dify-ext/moderation-service/worker/pii";
import lists from "dify-ext:keyword-lists";
import { loadConfig } from "./config.ts";

/**
 * The composite moderation app as a Cloudflare Worker: all four engines are bundled and the
 * MODERATION_ENGINES var picks among them (default keywords,obscenity), as under Node.
 */
export default createModerationWorker({
  name: "moderation",
  loadConfig,
  policy: lists.policy,
  engines: {
    keywords: keywordsWorkerEngine(lists),
    obscenity: obscenityWorkerEngine,
    pii: piiWorkerEngine,
    openai: openaiWorkerEngine,
    guard: guardWorkerEngine,
  },
});
