import type { EngineFactory } from "../compose.ts";
import type { ObscenitySettings } from "../config/obscenity.ts";
import { obscenityFromSettings } from "../engines/obscenity.ts";

/** The obscenity engine on a Worker: the same factory as under Node. */
export const obscenityWorkerEngine: EngineFactory<ObscenitySettings> = (settings) => obscenityFromSettings(settings);
