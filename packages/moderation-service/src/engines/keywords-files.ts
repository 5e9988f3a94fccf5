import { createKeywordEngine, type KeywordEngine } from "@dify-ext/moderation-engines/keywords";
import {
  loadKeywordFiles,
  SAMPLE_ALLOW_LIST_FILE,
  SAMPLE_LIST_FILE,
  watchKeywordFiles,
} from "@dify-ext/moderation-engines/keywords/node";
import type { EngineContext } from "../compose.ts";
import type { KeywordsSettings } from "../config/keywords.ts";

/**
 * The keyword engine under Node: lists read from files (the bundled sample list when none are
 * set), reloaded when they change (KEYWORDS_WATCH) and on SIGHUP.
 */
export async function keywordsFromFiles(settings: KeywordsSettings, context: EngineContext): Promise<KeywordEngine> {
  const { logger } = context;
  const files = { ...settings };
  if (files.usingSampleList) {
    files.listFiles = [SAMPLE_LIST_FILE];
    if (files.allowFiles.length === 0) files.allowFiles = [SAMPLE_ALLOW_LIST_FILE];
  }
  const matcher = await loadKeywordFiles(files);
  const { stats } = matcher;
  logger.info(
    {
      engine: "keywords",
      lists: stats.lists.map((list) => ({
        name: list.name,
        terms: list.terms,
        match: list.match,
        ...(list.folds && { folds: list.folds }),
      })),
      allowTerms: stats.allowTerms,
      buildMs: Math.round(stats.buildMs),
      separators: matcher.options.separators,
    },
    files.usingSampleList
      ? "keyword lists loaded (the sample list: set KEYWORDS_FILES for yours)"
      : "keyword lists loaded",
  );
  const engine = createKeywordEngine({ matcher });
  const watcher = watchKeywordFiles({
    ...files,
    engine,
    onReload: (next) =>
      logger.info({ terms: next.stats.terms, buildMs: Math.round(next.stats.buildMs) }, "keyword lists reloaded"),
    onError: (error) =>
      logger.error({ err: error.message }, "keyword lists not reloaded; the previous lists keep serving"),
  });
  const onHangup = () => {
    logger.info({}, "SIGHUP: reloading keyword lists");
    void watcher.reload();
  };
  process.on("SIGHUP", onHangup);
  context.onClose(() => {
    process.off("SIGHUP", onHangup);
    watcher.close();
  });
  return engine;
}
