import { createKeywordEngine, createKeywordMatcher, parseKeywordList } from "@dify-ext/moderation-engines/keywords";
import type { EngineFactory } from "../compose.ts";
import type { KeywordsSettings } from "../config/keywords.ts";
import type { BundledKeywordLists } from "./index.ts";

/** The keyword engine on a Worker, with lists bundled at build time (no files, no reload). */
export function keywordsWorkerEngine(bundled: BundledKeywordLists): EngineFactory<KeywordsSettings> {
  return (settings, { logger }) => {
    const lists = bundled.lists.map((list) => parseKeywordList(list.text, list.name));
    const allowLists = bundled.allow.map((list) => parseKeywordList(list.text, list.name));
    const matcher = createKeywordMatcher({
      lists,
      allowLists,
      match: settings.match,
      separators: settings.separators,
    });
    logger.info(
      {
        engine: "keywords",
        terms: matcher.stats.terms,
        buildMs: Math.round(matcher.stats.buildMs),
        sample: bundled.sample,
      },
      "keyword lists loaded",
    );
    return createKeywordEngine({ matcher });
  };
}
