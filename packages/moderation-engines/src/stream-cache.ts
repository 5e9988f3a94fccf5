import { createHash, type Hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { IncrementalJudgement, ModerationEngine, ModerationPoint, UpstreamEvent } from "./engine.ts";
import { hashedKey, type SharedStore } from "./shared.ts";

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
/** Bytes counted for the running hash a shared cache keeps with each entry (an OpenSSL context). */
const HASH_BYTES = 256;
/**
 * With a shared store: a text that extends this replica's own entry by at most this many code
 * units resumes from it without asking the store (rescanning that much costs less than a round
 * trip). Dify sends a call every 300 characters, so behind a round-robin balancer a replica's own
 * entry is N − 1 calls old.
 */
export const LOCAL_REACH = 4096;
/**
 * With a shared store: a replica writes its judgement of an answer there on its first call of the
 * answer, and on a call whose text passes a multiple of this many code units that the text it
 * resumed from had not reached. Behind a balancer, one call passes each mark, whichever replica
 * gets it: about one write per this many characters for the whole deployment. Another replica
 * resuming from the store rescans at most about this much more. A write per call would cost a
 * round trip per call that almost nobody reads (each replica resumes from its own entry within
 * {@link LOCAL_REACH}).
 */
export const SHARED_WRITE_EVERY = 4096;
/** The format of a shared stream entry; bump it when its layout changes. */
const SHARED_FORMAT = 1;

/** What the cache keeps of the last judged text of one answer. */
export interface StreamEntry {
  /** The text judged, exactly as Dify sent it (Dify's later calls carry the original text). */
  readonly text: string;
  /** Per engine (by position in the policy's engine list): its judgement, if it has one. */
  readonly judgements: ReadonlyArray<IncrementalJudgement | undefined>;
}

/** Judgements of a prefix of the text looked up, checked against it: what a call resumes from. */
export interface StreamPrior {
  /** Code units of the prefix they judged: the text looked up starts with it (equal: the same text). */
  readonly length: number;
  /** Per engine (by position in the policy's engine list): its judgement of the prefix, if any. */
  readonly judgements: ReadonlyArray<IncrementalJudgement | undefined>;
  /** The cache's own: what it needs to store the next judgement cheaply (a running hash). */
  readonly resume?: unknown;
}

export interface StreamCacheOptions {
  /** Size limit in bytes (keys and texts at 2 bytes per code unit, plus judgements); 0 disables the cache. */
  maxBytes?: number;
  /** An entry not used for this long is dropped (here and in the shared store). */
  idleMs?: number;
  /**
   * The store replicas share (SHARED_STATE_URL): judgements are also written there, without the
   * text (a SHA-256 of it instead), and a call this replica cannot resume from its own entries
   * resumes from any replica's, once the hash matches its text and each engine accepts its state
   * (`JudgementCodec`). A store that does not answer in time is a miss.
   */
  shared?: SharedStore;
  /** With `shared`: how far a text may extend this replica's own entry to resume from it without asking the store (default {@link LOCAL_REACH}). */
  localReach?: number;
  /** With `shared`: the marks at which an answer is written (default {@link SHARED_WRITE_EVERY}; 1 writes every call). */
  sharedWriteEvery?: number;
  /**
   * Told about every lookup, for metrics: `stream` (this replica's entries: a hit is a call that
   * resumes from one) and, when the store was asked, `stream-shared` (a hit resumes from another
   * replica's judgements).
   */
  onLookup?: (event: Extract<UpstreamEvent, { kind: "cache" }>) => void;
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
 * opening: a bounded LRU (size in bytes, idle expiry), and with a shared store the judgements of
 * every replica. Losing an entry (evicted, expired, never stored because it alone exceeds the
 * limit, the store down) only means the next call is judged whole.
 */
export interface StreamCache {
  /**
   * The judgements of the longest prefix of `text` (or `text` itself) that are known, checked
   * against `text`; `engines` are the policy's, in order, to read shared states with. A promise
   * only when the shared store is asked.
   */
  lookup(
    appId: string,
    point: ModerationPoint,
    text: string,
    engines?: readonly ModerationEngine[],
  ): StreamPrior | undefined | Promise<StreamPrior | undefined>;
  /** Saves the judgements of `entry.text`; `prior` is what the call resumed from (it saves hashing). */
  store(
    appId: string,
    point: ModerationPoint,
    entry: StreamEntry,
    context?: { prior?: StreamPrior; engines?: readonly ModerationEngine[] },
  ): void;
  stats(): StreamCacheStats;
  clear(): void;
}

/** An entry as the LRU keeps it: with a shared store, also a hash positioned at the text's end. */
interface LocalEntry extends StreamEntry {
  readonly hash?: Hash;
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
  if ((entry as LocalEntry).hash) bytes += HASH_BYTES;
  return bytes;
}

/** Bytes the entry of `appId`'s answer is counted for: its key (app id included), text and judgements. */
export function streamEntryBytes(appId: string, point: ModerationPoint, entry: StreamEntry): number {
  return bytesOf(entry, keyOf(appId, point, entry.text));
}

/** A shared entry as stored: `{"v", "n": length judged, "h": SHA-256 of that text, "j": states or null}`. */
interface SharedEntry {
  n: number;
  h: string;
  j: Array<string | null>;
}

function parseShared(value: string): SharedEntry | undefined {
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;
  const { v, n, h, j } = data as Record<string, unknown>;
  if (v !== SHARED_FORMAT || !Number.isSafeInteger(n) || (n as number) < 1 || typeof h !== "string") return undefined;
  if (!Array.isArray(j) || !j.every((state) => state === null || typeof state === "string")) return undefined;
  return { n: n as number, h, j };
}

const sha256 = () => createHash("sha256");

/** Creates a stream cache; `maxBytes` 0 gives a cache that keeps nothing (here or in a shared store). */
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
  const cache = new LRUCache<string, LocalEntry>({
    maxSize: maxBytes,
    // The key counts too: it holds the app id, which the cache does not bound.
    sizeCalculation: bytesOf,
    ttl: idleMs,
    updateAgeOnGet: true,
    // An entry larger than the whole limit is simply not stored.
    maxEntrySize: maxBytes,
  });
  const shared = options.shared;
  const localReach = options.localReach ?? LOCAL_REACH;
  const writeEvery = Math.max(1, options.sharedWriteEvery ?? SHARED_WRITE_EVERY);
  const onLookup = options.onLookup;

  /** This replica's entry for `text`, if `text` equals or extends it. */
  const local = (key: string, text: string): LocalEntry | undefined => {
    const entry = cache.get(key);
    if (entry === undefined || entry.text.length > text.length || !text.startsWith(entry.text)) return undefined;
    return entry;
  };
  const priorOf = (entry: LocalEntry): StreamPrior => ({
    length: entry.text.length,
    judgements: entry.judgements,
    resume: entry.hash,
  });

  /** The shared entry's judgements, if its hash is that of `text`'s prefix and states decode. */
  function resumeShared(
    value: string | undefined,
    text: string,
    mine: LocalEntry | undefined,
    engines: readonly ModerationEngine[],
  ): StreamPrior | undefined {
    const resumed = resumeFrom(value, text, mine, engines);
    onLookup?.({ kind: "cache", cache: "stream-shared", hit: resumed !== undefined });
    onLookup?.({ kind: "cache", cache: "stream", hit: resumed !== undefined || mine !== undefined });
    return resumed ?? (mine && priorOf(mine));
  }

  function resumeFrom(
    value: string | undefined,
    text: string,
    mine: LocalEntry | undefined,
    engines: readonly ModerationEngine[],
  ): StreamPrior | undefined {
    const found = value === undefined ? undefined : parseShared(value);
    const mineLength = mine?.text.length ?? 0;
    if (!found || found.n > text.length || found.n <= mineLength) return undefined;
    // The hash of text[0, n), from this replica's own running hash where it has one.
    const hash = mine?.hash ? mine.hash.copy() : sha256();
    hash.update(text.slice(mineLength, found.n), "utf16le");
    if (hash.copy().digest("base64url") !== found.h) return undefined;
    const judgements = engines.map((engine, index) => {
      const state = found.j[index];
      return state ? engine.incremental?.codec?.decode(state, found.n) : undefined;
    });
    if (!judgements.some(Boolean)) return undefined;
    return { length: found.n, judgements, resume: hash };
  }

  return {
    lookup(appId, point, text, engines = []) {
      const key = keyOf(appId, point, text);
      const mine = local(key, text);
      if (!shared || (mine && text.length - mine.text.length <= localReach)) {
        onLookup?.({ kind: "cache", cache: "stream", hit: mine !== undefined });
        return mine && priorOf(mine);
      }
      return shared
        .get([hashedKey("s", key)])
        .then(([value]) => resumeShared(value, text, mine, engines))
        .catch(() => mine && priorOf(mine));
    },
    store(appId, point, entry, context = {}) {
      const key = keyOf(appId, point, entry.text);
      if (!shared) {
        cache.set(key, entry);
        return;
      }
      const { prior, engines = [] } = context;
      const resume = prior?.resume as Hash | undefined;
      // The running hash of the whole text, from the prior's where the call resumed from one.
      const hash = resume && prior ? resume.copy() : sha256();
      hash.update(resume && prior ? entry.text.slice(prior.length) : entry.text, "utf16le");
      cache.set(key, { ...entry, hash });
      // Resumed from a judgement (its own or another replica's) and passing no mark: not written.
      if (prior && Math.floor(prior.length / writeEvery) === Math.floor(entry.text.length / writeEvery)) return;
      const states = engines.map((engine, index) => {
        const judgement = entry.judgements[index];
        return (judgement && engine.incremental?.codec?.encode(judgement)) ?? null;
      });
      if (!states.some((state) => state !== null)) return;
      const value = JSON.stringify({
        v: SHARED_FORMAT,
        n: entry.text.length,
        h: hash.copy().digest("base64url"),
        j: states,
      } satisfies SharedEntry & { v: number });
      shared.set(hashedKey("s", key), value, idleMs);
    },
    stats() {
      return { entries: cache.size, bytes: cache.calculatedSize, maxBytes };
    },
    clear() {
      cache.clear();
    },
  };
}
