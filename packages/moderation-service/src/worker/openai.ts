import { openaiFromConfig } from "../engines/openai.ts";
import type { WorkerEngineFactory } from "./index.ts";

/** The OpenAI engine on a Worker: the same factory as under Node. */
export const openaiWorkerEngine: WorkerEngineFactory = (config, logger) => openaiFromConfig(config, logger);
