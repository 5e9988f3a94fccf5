import { createObscenityEngine } from "@dify-ext/moderation-engines/obscenity";
import type { WorkerEngineFactory } from "./index.ts";

/** The obscenity engine on a Worker. */
export const obscenityWorkerEngine: WorkerEngineFactory = (config) => createObscenityEngine(config.obscenity);
