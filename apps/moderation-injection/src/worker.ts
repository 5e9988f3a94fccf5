import { createModerationWorker } from "@dify-ext/moderation-service/worker";
import bundle from "dify-ext:worker-files";
import { app } from "./config.ts";

/** The app as a Cloudflare Worker: the same definition as under Node, with the files bundled at build time. */
export default createModerationWorker(app, bundle);
