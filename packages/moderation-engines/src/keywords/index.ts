/**
 * Keyword moderation engine, platform-neutral (no Node APIs): runs in Node and in Workers.
 * Reading list files and reloading them is the service's (`@dify-ext/moderation-service`).
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
