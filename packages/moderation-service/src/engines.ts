import type { ModerationEngine } from "@dify-ext/moderation-engines";
import type { Logger, UpstreamObserver } from "@dify-ext/server";
import type { EngineName, ModerationConfig } from "./config.ts";

/** The engines of a moderation app, built from its config, with what `/readyz` and shutdown need. */
export interface EngineSet {
  engines: ModerationEngine[];
  /** `true` when every engine can judge, otherwise why not. */
  readiness(): true | string;
  /** Stops file watchers and the like. */
  close(): void;
}

/**
 * Builds the configured engines, loading each engine's module only when it is used (the keyword and
 * obscenity apps never load the OpenAI SDK).
 */
export async function createEngines(config: ModerationConfig, logger: Logger, observer?: UpstreamObserver): Promise<EngineSet> {
  const engines: ModerationEngine[] = [];
  const closers: Array<() => void> = [];
  const notReady: string[] = [];
  const builders: Record<EngineName, () => Promise<ModerationEngine>> = {
    async keywords() {
      const { createKeywordEngine } = await import("@dify-ext/moderation-engines/keywords");
      const { loadKeywordFiles, watchKeywordFiles, SAMPLE_LIST_FILE, SAMPLE_ALLOW_LIST_FILE } = await import(
        "@dify-ext/moderation-engines/keywords/node"
      );
      const files = { ...config.keywords };
      if (files.usingSampleList) {
        files.listFiles = [SAMPLE_LIST_FILE];
        if (files.allowFiles.length === 0) files.allowFiles = [SAMPLE_ALLOW_LIST_FILE];
      }
      const matcher = await loadKeywordFiles(files);
      const { stats } = matcher;
      logger.info(
        {
          engine: "keywords",
          lists: stats.lists.map((list) => ({ name: list.name, terms: list.terms, match: list.match })),
          allowTerms: stats.allowTerms,
          buildMs: Math.round(stats.buildMs),
          separators: files.separators,
        },
        files.usingSampleList ? "keyword lists loaded (the sample list: set KEYWORDS_FILES for yours)" : "keyword lists loaded",
      );
      const engine = createKeywordEngine({ matcher });
      const watcher = watchKeywordFiles({
        ...files,
        engine,
        watch: files.watch,
        onReload: (next) => logger.info({ terms: next.stats.terms, buildMs: Math.round(next.stats.buildMs) }, "keyword lists reloaded"),
        onError: (error) => logger.error({ err: error.message }, "keyword lists not reloaded; the previous lists keep serving"),
      });
      const onHangup = () => {
        logger.info({}, "SIGHUP: reloading keyword lists");
        void watcher.reload();
      };
      process.on("SIGHUP", onHangup);
      closers.push(() => {
        process.off("SIGHUP", onHangup);
        watcher.close();
      });
      return engine;
    },
    async obscenity() {
      const { obscenityFromConfig } = await import("./engines/obscenity.ts");
      return obscenityFromConfig(config);
    },
    async openai() {
      if (!config.openai.apiKey) notReady.push("OPENAI_API_KEY is not set");
      // Loaded only when used, so the keyword and obscenity apps never load the OpenAI SDK.
      const { openaiFromConfig } = await import("./engines/openai.ts");
      return openaiFromConfig(config, logger, observer);
    },
  };
  for (const name of config.engines) engines.push(await builders[name]());
  return {
    engines,
    readiness: () => (notReady.length === 0 ? true : notReady.join("; ")),
    close: () => {
      for (const close of closers) close();
    },
  };
}
