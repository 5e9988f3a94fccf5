import {
  createKeywordEngine,
  createKeywordMatcher,
  type KeywordList,
  loadReadingsFor,
  parseKeywordList,
} from "@dify-ext/moderation-engines/keywords";
import type { EngineFactory } from "../compose.ts";
import type { KeywordsSettings } from "../config/keywords.ts";
import { BUNDLED_POLICY_PREFIX, type BundledKeywordLists, type BundledList } from "./index.ts";

/**
 * The keyword engine on a Worker, with lists bundled at build time (no files, no reload): those of
 * KEYWORDS_FILES, or those a bundled policy file names for an app (paths marked `policy:`).
 */
export function keywordsWorkerEngine(bundled: BundledKeywordLists): EngineFactory<KeywordsSettings> {
  const fromPolicy = (files: readonly string[]): BundledList[] =>
    files.map((file) => {
      const name = file.slice(BUNDLED_POLICY_PREFIX.length);
      const text = bundled.policy?.files[name];
      if (text === undefined) throw new Error(`list file ${name} was not bundled with the policy`);
      return { name: name.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, ""), text };
    });
  const ownLists = (settings: KeywordsSettings) => settings.listFiles.some((f) => f.startsWith(BUNDLED_POLICY_PREFIX));
  const ownAllow = (settings: KeywordsSettings) => settings.allowFiles.some((f) => f.startsWith(BUNDLED_POLICY_PREFIX));
  return async (settings, { logger }) => {
    const own = ownLists(settings);
    const listSources = own ? fromPolicy(settings.listFiles) : bundled.lists;
    const allowSources = ownAllow(settings) ? fromPolicy(settings.allowFiles) : bundled.allow;
    const lists = listSources.map((source, index): KeywordList => {
      const list = parseKeywordList(source.text, source.name);
      // Folds a policy sets for its own list files replace the files' directives.
      const folds = own ? settings.folds?.[settings.listFiles[index]!] : undefined;
      if (folds === undefined) return list;
      const { folds: _directives, ...rest } = list;
      return folds.length === 0 ? rest : { ...rest, folds };
    });
    // The pinyin library is loaded only when a list asks for a fold that needs it.
    await loadReadingsFor(lists);
    const allowLists = allowSources.map((list) => parseKeywordList(list.text, list.name));
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
