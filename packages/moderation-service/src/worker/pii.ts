import type { EngineFactory } from "../compose.ts";
import type { PiiSettings } from "../config/pii.ts";
import { piiFromSettings } from "../engines/pii.ts";

/** The pii engine on a Worker: the same factory as under Node. */
export const piiWorkerEngine: EngineFactory<PiiSettings> = (settings) => piiFromSettings(settings);
