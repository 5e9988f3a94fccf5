import { obscenityFromConfig } from "../engines/obscenity.ts";
import type { WorkerEngineFactory } from "./index.ts";

/** The obscenity engine on a Worker: the same factory as under Node. */
export const obscenityWorkerEngine: WorkerEngineFactory = (config) => obscenityFromConfig(config);
