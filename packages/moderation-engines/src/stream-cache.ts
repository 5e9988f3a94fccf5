import { LRUCache } from "lru-cache";
import type { IncrementalJudgement, ModerationPoint } from "./engine.ts";

/** Default size limit of the stream cache: 32 MiB of texts and judgements. */
export const DEFAULT_STREAM_CACHE_BYTES = 32 * 1024 * 1024;
/** Default idle expiry of a cached answer: 5 minutes without a call that extends it. */
export const DEFAULT_STREAM_CACHE_IDLE_MS = 5 * 60 * 1000;

/**
 * Code units of the text's start that go into the key. Dify's first streamed call carries at least
 * 300 characters, so every later call of the same answer has the same opening; concurrent answers
 * of one app that open alike share a slot, and the prefix check then sends one of them to
 * whole-text judging (slower, never wrong).
 */
const KEY_OPENING = 256;
/** Bytes counted for an entry besides its key, text and judgements (objects, LRU bookkeeping). */
const ENTRY_OVERHEAD = 256;

/** What the cache keeps of the last judged text of one answer. */
export interface StreamEntry {
  /** The text judged, exactly as Dify sent it (Dify's later calls carry the original text). */
  readonly text: string;
  /** Per engine (by position in the policy's engine list): its judgement, if it has one. */
  readonly judgements: ReadonlyArray<IncrementalJudgement | undefined>;
}

export interface StreamCacheOptions {
  /** Size limit in bytes (keys and texts at 2 bytes per code unit, plus judgements); 0 disables the cache. */
  maxBytes?: number;
  /** An entry not used for this long is dropped. */
  idleMs?: number;
}

/** Counters for tests and benchmarks. */
export interface StreamCacheStats {
  entries: number;
  /** Bytes counted against the limit. */
  bytes: number;
  maxBytes: number;
}

/**
 * The saved judgements of recently judged texts, keyed by app, moderation point and the text's
 * opening: a bounded LRU (size in bytes, idle expiry). Losing an entry (evicted, expired, never
 * stored because it alone exceeds the limit) only means the next call is judged whole.
 */
export interface StreamCache {
  /** The entry whose text `text` equals or extends, if one is cached. */
  lookup(appId: string, point: ModerationPoint, text: string): StreamEntry | undefined;
  store(appId: string, point: ModerationPoint, entry: StreamEntry): void;
  stats(): StreamCacheStats;
  clear(): void;
}

/**
 * The key of an answer: app, point and the text's opening, JSON-encoded, so no app id (which may
 * hold any character, NUL included) can make two apps' keys equal.
 */
function keyOf(appId: string, point: ModerationPoint, text: string): string {
  return JSON.stringify([point, appId, text.slice(0, KEY_OPENING)]);
}

/** Bytes an entry is counted for, given its key: every string it keeps at 2 bytes per code unit. */
function bytesOf(entry: StreamEntry, key: string): number {
  let bytes = ENTRY_OVERHEAD + 2 * key.length + 2 * entry.text.length;
  for (const judgement of entry.judgements) if (judgement) bytes += judgement.bytes;
  return bytes;
}

/** Bytes the entry of `appId`'s answer is counted for: its key (app id included), text and judgements. */
export function streamEntryBytes(appId: string, point: ModerationPoint, entry: StreamEntry): number {
  return bytesOf(entry, keyOf(appId, point, entry.text));
}

/** Creates a stream cache; `maxBytes` 0 gives a cache that keeps nothing. */
export function createStreamCache(options: StreamCacheOptions = {}): StreamCache {
  const maxBytes = options.maxBytes ?? DEFAULT_STREAM_CACHE_BYTES;
  const idleMs = options.idleMs ?? DEFAULT_STREAM_CACHE_IDLE_MS;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError("stream cache maxBytes must be >= 0");
  if (!Number.isSafeInteger(idleMs) || idleMs < 1) throw new RangeError("stream cache idleMs must be >= 1");
  if (maxBytes === 0) {
    return {
      lookup: () => undefined,
      store: () => {},
      stats: () => ({ entries: 0, bytes: 0, maxBytes: 0 }),
      clear: () => {},
    };
  }
  const cache = new LRUCache<string, StreamEntry>({
    maxSize: maxBytes,
    // The key counts too: it holds the app id, which the cache does not bound.
    sizeCalculation: bytesOf,
    ttl: idleMs,
    updateAgeOnGet: true,
    // An entry larger than the whole limit is simply not stored.
    maxEntrySize: maxBytes,
  });
  return {
    lookup(appId, point, text) {
      const entry = cache.get(keyOf(appId, point, text));
      if (entry === undefined || entry.text.length > text.length || !text.startsWith(entry.text)) return undefined;
      return entry;
    },
    store(appId, point, entry) {
      cache.set(keyOf(appId, point, entry.text), entry);
    },
    stats() {
      return { entries: cache.size, bytes: cache.calculatedSize, maxBytes };
    },
    clear() {
      cache.clear();
    },
  };
}
