import type { EngineFactories } from "./compose.ts";

/**
 * Every engine under Node, each loaded on first use: the keyword and obscenity apps never load the
 * OpenAI SDK, the keyword app never loads obscenity's dataset, and only apps running pii load the
 * phone metadata.
 */
export const nodeEngines: EngineFactories = {
  async keywords(settings, context) {
    const { keywordsFromFiles } = await import("./engines/keywords-files.ts");
    return keywordsFromFiles(settings, context);
  },
  async obscenity(settings) {
    const { obscenityFromSettings } = await import("./engines/obscenity.ts");
    return obscenityFromSettings(settings);
  },
  async pii(settings) {
    const { piiFromSettings } = await import("./engines/pii.ts");
    return piiFromSettings(settings);
  },
  async openai(settings, context) {
    const { openaiFromSettings } = await import("./engines/openai.ts");
    return openaiFromSettings(settings, context);
  },
  async guard(settings, context) {
    const { guardFromSettings } = await import("./engines/guard.ts");
    return guardFromSettings(settings, context);
  },
};
