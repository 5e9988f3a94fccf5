import { createKeywordEngine, createKeywordMatcher, parseKeywordList } from "@dify-ext/moderation-engines/keywords";
import type { BundledKeywordLists, WorkerEngineFactory } from "./index.ts";

/** The keyword engine on a Worker, with lists bundled at build time (no files, no reload). */
export function keywordsWorkerEngine(bundled: BundledKeywordLists): WorkerEngineFactory {
  return (config, logger) => {
    const lists = bundled.lists.map((list) => parseKeywordList(list.text, list.name));
    const allow = bundled.allow.flatMap((list) => parseKeywordList(list.text, list.name).terms);
    const matcher = createKeywordMatcher({ lists, allow, match: config.keywords.match, separators: config.keywords.separators });
    logger.info(
      { engine: "keywords", terms: matcher.stats.terms, buildMs: Math.round(matcher.stats.buildMs), sample: bundled.sample },
      "keyword lists loaded",
    );
    return createKeywordEngine({ matcher });
  };
}
