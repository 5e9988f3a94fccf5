import { EngineUnavailableError, type ModerationEngine } from "@dify-ext/moderation-engines";
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
 * An OpenAI engine without an API key: every call fails, so the failure policy decides, and every
 * call logs why. It lets `pnpm dev` start every app with no account while saying loudly what is
 * missing; with NODE_ENV=production the config refuses to start instead.
 */
function unconfiguredOpenAIEngine(logger: Logger): ModerationEngine {
  return {
    name: "openai",
    async moderate() {
      logger.warn({ engine: "openai" }, "OPENAI_API_KEY is not set: moderation answered by the failure policy");
      throw new EngineUnavailableError("openai", "OPENAI_API_KEY is not set");
    },
  };
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
      const { createObscenityEngine } = await import("@dify-ext/moderation-engines/obscenity");
      return createObscenityEngine(config.obscenity);
    },
    async openai() {
      const { apiKey, ...options } = config.openai;
      if (!apiKey) {
        logger.warn(
          { engine: "openai" },
          "OPENAI_API_KEY is not set: the openai engine cannot judge, so every moderation call is answered by the failure policy (MODERATION_INPUT_ON_ERROR / MODERATION_OUTPUT_ON_ERROR)",
        );
        notReady.push("OPENAI_API_KEY is not set");
        return unconfiguredOpenAIEngine(logger);
      }
      const { createOpenAIEngine, openAIWorstCaseMs } = await import("@dify-ext/moderation-engines/openai");
      logger.info(
        { engine: "openai", model: options.model, timeoutMs: options.timeoutMs, worstCaseMs: openAIWorstCaseMs(options.timeoutMs, options.maxRetries) },
        "openai engine ready",
      );
      return createOpenAIEngine({
        apiKey,
        ...options,
        logger,
        onUpstream: observer ? (event) => observer.observeUpstream(event) : undefined,
      });
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
