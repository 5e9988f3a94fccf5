/**
 * The verdict cache of engines backed by an upstream model: a bounded LRU with a TTL (lru-cache),
 * and coalescing, so concurrent calls for the same key share one upstream judgement. A caller that
 * aborts stops waiting; when the last caller of a batch has aborted, the batch's upstream request
 * is aborted too. Failures are never cached.
 */
import { LRUCache } from "lru-cache";
import type { EngineUnavailableError, UpstreamEvent } from "../engine.ts";

export interface CoalescingCacheOptions<I, J> {
  /** Cache name in metrics events (`openai`, `guard`). */
  name: string;
  /**
   * `max`: entries (0 disables the cache), `ttlMs`: lifetime, `maxChars`: total size of what is kept,
   * in UTF-16 code units: each entry's key, its judgement ({@link CoalescingCacheOptions.judgementChars})
   * and {@link ENTRY_OVERHEAD_CHARS}.
   */
  cache: { max: number; ttlMs: number; maxChars: number };
  /** Size of a judgement in code units (its strings, whatever upstream put in them, plus their objects). */
  judgementChars(judgement: J): number;
  /**
   * Starts judging `inputs` (distinct keys, none cached or in flight), with `controller` aborted
   * when no caller waits any more: one promise per input, in order.
   */
  start(inputs: I[], controller: AbortController): Array<Promise<J>>;
  /** The error a caller whose signal aborted gets. */
  abortedError(signal: AbortSignal): EngineUnavailableError;
  /** Told about every cache lookup, for metrics. */
  onUpstream?: (event: UpstreamEvent) => void;
}

/** One thing to judge: its cache key (which must say everything the judgement depends on) and input. */
export interface CoalescingEntry<I> {
  key: string;
  input: I;
}

export interface CoalescingCache<I, J> {
  /** Judges every entry (cached, joined to an identical one in flight, or started), in order. */
  judge(entries: readonly CoalescingEntry<I>[], signal?: AbortSignal): Promise<J[]>;
}

interface Batch {
  readonly controller: AbortController;
  /** Callers still waiting; when the last one aborts, the upstream request is aborted. */
  waiters: number;
}

interface Pending<J> {
  readonly judgement: Promise<J>;
  readonly batch: Batch;
}

/** Code units counted for an entry besides its key and judgement (objects, LRU bookkeeping): 128 bytes. */
export const ENTRY_OVERHEAD_CHARS = 64;

/** Code units a verdict with these category names is counted for. */
export function categoriesChars(categories: readonly string[]): number {
  let chars = 16;
  for (const category of categories) chars += 8 + category.length;
  return chars;
}

/** Creates the cache; its size is bounded by entries and by the total size of keys and judgements. */
export function createCoalescingCache<I, J extends object>(
  options: CoalescingCacheOptions<I, J>,
): CoalescingCache<I, J> {
  const { name, onUpstream } = options;
  const cache =
    options.cache.max > 0
      ? new LRUCache<string, J>({
          max: options.cache.max,
          ttl: options.cache.ttlMs,
          maxSize: options.cache.maxChars,
          // Every string kept counts: the key (the text judged) and the judgement (upstream's names).
          sizeCalculation: (value, key) => ENTRY_OVERHEAD_CHARS + key.length + options.judgementChars(value),
        })
      : undefined;
  const inFlight = new Map<string, Pending<J>>();

  /** Starts one batch for `keys` (distinct, uncached, not in flight). */
  const startBatch = (keys: string[], inputs: I[]): Pending<J>[] => {
    const batch: Batch = { controller: new AbortController(), waiters: 0 };
    const started = options.start(inputs, batch.controller);
    return keys.map((key, i) => {
      const judgement = started[i]!.then((result) => {
        cache?.set(key, result);
        return result;
      });
      // A caller that aborted no longer listens; keep its rejection from being unhandled.
      judgement.catch(() => {});
      const pending: Pending<J> = { judgement, batch };
      inFlight.set(key, pending);
      judgement
        .finally(() => {
          if (inFlight.get(key) === pending) inFlight.delete(key);
        })
        .catch(() => {});
      return pending;
    });
  };

  return {
    async judge(entries, signal) {
      if (signal?.aborted) throw options.abortedError(signal);
      const answers: Array<J | Promise<J>> = [];
      const joined = new Set<Batch>();
      const sendKeys: string[] = [];
      const sendInputs: I[] = [];
      const slotsOf = new Map<string, number[]>();
      entries.forEach(({ key, input }, index) => {
        const cached = cache?.get(key);
        if (cache) onUpstream?.({ kind: "cache", cache: name, hit: cached !== undefined });
        if (cached !== undefined) {
          answers[index] = cached;
          return;
        }
        const pending = inFlight.get(key);
        if (pending) {
          answers[index] = pending.judgement;
          joined.add(pending.batch);
          return;
        }
        const slots = slotsOf.get(key);
        if (slots) slots.push(index);
        else {
          slotsOf.set(key, [index]);
          sendKeys.push(key);
          sendInputs.push(input);
        }
      });
      if (sendKeys.length > 0) {
        const pendings = startBatch(sendKeys, sendInputs);
        sendKeys.forEach((key, i) => {
          const pending = pendings[i]!;
          joined.add(pending.batch);
          for (const index of slotsOf.get(key) ?? []) answers[index] = pending.judgement;
        });
      }

      for (const batch of joined) batch.waiters += 1;
      const all = Promise.all(answers);
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        if (!signal || joined.size === 0) return;
        onAbort = () => {
          for (const batch of joined) {
            batch.waiters -= 1;
            if (batch.waiters === 0) {
              // Nobody else waits: stop the request, and let later callers start afresh.
              for (const [key, pending] of inFlight) if (pending.batch === batch) inFlight.delete(key);
              batch.controller.abort();
            }
          }
          reject(options.abortedError(signal));
        };
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        return await Promise.race([all, aborted]);
      } finally {
        if (signal && onAbort) signal.removeEventListener("abort", onAbort);
        if (!signal?.aborted) for (const batch of joined) batch.waiters -= 1;
      }
    },
  };
}
