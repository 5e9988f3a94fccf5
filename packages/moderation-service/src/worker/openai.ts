import type { EngineFactory } from "../compose.ts";
import type { OpenAISettings } from "../config/openai.ts";
import { openaiFromSettings } from "../engines/openai.ts";

/** The OpenAI engine on a Worker: the same factory as under Node. */
export const openaiWorkerEngine: EngineFactory<OpenAISettings> = openaiFromSettings;
