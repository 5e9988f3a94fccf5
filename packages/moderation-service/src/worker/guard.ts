import type { EngineFactory } from "../compose.ts";
import type { GuardSettings } from "../config/guard.ts";
import { guardFromSettings } from "../engines/guard.ts";

/** The guard engine on a Worker: the same factory as under Node. */
export const guardWorkerEngine: EngineFactory<GuardSettings> = guardFromSettings;
