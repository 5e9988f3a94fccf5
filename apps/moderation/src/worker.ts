import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import bundle from "dify-ext:worker-files";
import { app } from "./config.ts";

/**
 * The composite moderation app as a Cloudflare Worker: every registered engine is bundled and the
 * MODERATION_ENGINES var picks among them (default keywords,obscenity), as under Node.
 */
export default createModerationWorker(app, bundle);
