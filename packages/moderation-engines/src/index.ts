export * from "./categories.ts";
export * from "./engine.ts";
export { type MaskSpan, maskSpans, mergeSpans } from "./mask.ts";
export * from "./policy.ts";
export * from "./reply-template.ts";
export {
  createStreamCache,
  DEFAULT_STREAM_CACHE_BYTES,
  DEFAULT_STREAM_CACHE_IDLE_MS,
  type StreamCache,
  type StreamCacheOptions,
  type StreamCacheStats,
  type StreamEntry,
  type StreamPrior,
  streamEntryBytes,
} from "./stream-cache.ts";
export { hashedKey, type SharedStore } from "./shared.ts";
