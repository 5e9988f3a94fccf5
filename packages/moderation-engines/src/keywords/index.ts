/**
 * Keyword moderation engine, platform-neutral (no Node APIs): runs in Node and in Workers.
 * File loading and hot reload live in `@dify-ext/moderation-engines/keywords/node`.
 */
export { createKeywordEngine, type KeywordEngine, type KeywordEngineOptions } from "./keyword-engine.ts";
export {
  createKeywordMatcher,
  type KeywordFinding,
  type KeywordListInput,
  type KeywordListStats,
  type KeywordMatcher,
  type KeywordMatcherOptions,
  type KeywordMatcherStats,
} from "./matcher.ts";
export { normalizeForMatching } from "./normalize.ts";
export {
  FOLD_NAMES,
  type KeywordList,
  KeywordListError,
  type ListFold,
  type MatchMode,
  parseFoldNames,
  parseKeywordList,
} from "./parse.ts";
export { chineseReadingsLoaded, loadChineseReadings, loadReadingsFor } from "./readings.ts";
