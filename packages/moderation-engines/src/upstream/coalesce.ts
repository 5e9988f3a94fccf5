/**
 * The verdict cache of engines backed by an upstream model: a bounded LRU with a TTL (lru-cache),
 * and coalescing, so concurrent calls for the same key share one upstream judgement. A caller that
 * aborts stops waiting; when the last caller of a batch has aborted, the batch's upstream request
 * is aborted too. Failures are never cached. Keys can be digested (`digest`), so the cache holds
 * no text, and its size counted in bytes (`maxBytes`). With a shared store (SHARED_STATE_URL), keys
 * missing here are looked up there (in one bounded round trip per batch) before the upstream is
 * asked, and new judgements are written there too: what one replica judged, the others need not
 * send again.
 */
import { LRUCache } from "lru-cache";
import type { EngineUnavailableError, UpstreamEvent } from "../engine.ts";
import { hashedKey, type SharedStore } from "../shared.ts";

/**
 * Judgements shared by replicas: the store, and how judgements are written to and read from it.
 * The store key is a hash of `identity` and the cache key, so it must name everything a judgement
 * depends on that the cache key does not (the engine, its endpoint, thresholds, categories).
 */
export interface SharedJudgements<J> {
  store: SharedStore;
  identity: string;
  encode(judgement: J): string;
  /** The judgement, or `undefined` for anything `encode` would not have written. Never throws. */
  decode(value: string): J | undefined;
}

export interface CoalescingCacheOptions<I, J> {
  /** Cache name in metrics events (`openai`, `guard`). */
  name: string;
  /**
   * `max`: entries (0 disables the cache), `ttlMs`: lifetime, and the size bound over everything
   * an entry keeps (its key, its judgement ({@link CoalescingCacheOptions.judgementChars}) and
   * {@link ENTRY_OVERHEAD_CHARS}): `maxChars` in UTF-16 code units, or `maxBytes` at two bytes each.
   */
  cache: { max: number; ttlMs: number } & (
    | { maxChars: number; maxBytes?: never }
    | { maxBytes: number; maxChars?: never }
  );
  /**
   * Turns each key into what the cache and the in-flight map hold (a SHA-256 digest: see
   * `digest.ts`); identity when absent. Equal keys must give equal digests.
   */
  digest?: (key: string) => string;
  /** Size of a judgement in code units (its strings, whatever upstream put in them, plus their objects). */
  judgementChars(judgement: J): number;
  /**
   * Starts judging `inputs` (distinct keys, none cached or in flight), with `controller` aborted
   * when no caller waits any more: one promise per input, in order.
   */
  start(inputs: I[], controller: AbortController): Array<Promise<J>>;
  /** The error a caller whose signal aborted gets. */
  abortedError(signal: AbortSignal): EngineUnavailableError;
  /** Told about every cache lookup, for metrics (the shared store's as `<name>-shared`). */
  onUpstream?: (event: UpstreamEvent) => void;
  /** Judgements shared with other replicas through a store; only with a cache (`max` above 0). */
  shared?: SharedJudgements<J>;
}

/** One thing to judge: its cache key (which must say everything the judgement depends on) and input. */
export interface CoalescingEntry<I> {
  key: string;
  input: I;
  /**
   * Look it up in the shared store and write it there (default `true`). An engine leaves out what
   * no other replica will ask for (the growing end of a streamed answer): a round trip saved.
   */
  shared?: boolean;
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
  const digest = options.digest ?? ((key: string) => key);
  const { maxBytes, maxChars } = options.cache;
  const cache =
    options.cache.max > 0
      ? new LRUCache<string, J>({
          max: options.cache.max,
          ttl: options.cache.ttlMs,
          maxSize: maxBytes ?? maxChars,
          // Every string kept counts: the key (the text judged, or its digest) and the judgement
          // (upstream's names); in bytes, at two a UTF-16 code unit.
          sizeCalculation: (value, key) =>
            (maxBytes === undefined ? 1 : 2) * (ENTRY_OVERHEAD_CHARS + key.length + options.judgementChars(value)),
        })
      : undefined;
  const inFlight = new Map<string, Pending<J>>();
  const shared = cache ? options.shared : undefined;
  const sharedCache = `${name}-shared`;

  /**
   * The judgements of `keys`: from the shared store where it has them, the others from the
   * upstream in one batch (written to the store once judged).
   */
  const startShared = (store: SharedJudgements<J>, keys: string[], inputs: I[], controller: AbortController) => {
    const storeKeys = keys.map((key) => hashedKey(`v:${name}`, store.identity, key));
    const all = store.store.get(storeKeys).then((values) => {
      const found = values.map((value) => (value === undefined ? undefined : store.decode(value)));
      const missing: number[] = [];
      found.forEach((judgement, i) => {
        onUpstream?.({ kind: "cache", cache: sharedCache, hit: judgement !== undefined });
        if (judgement === undefined) missing.push(i);
      });
      if (missing.length === 0) return found.map((judgement) => Promise.resolve(judgement as J));
      // Every caller left while the store answered: nobody needs the upstream's judgement now.
      if (controller.signal.aborted) throw options.abortedError(controller.signal);
      const started = options.start(
        missing.map((i) => inputs[i]!),
        controller,
      );
      let next = 0;
      return found.map((judgement, i) => {
        if (judgement !== undefined) return Promise.resolve(judgement);
        const judged = started[next++]!.then((result) => {
          store.store.set(storeKeys[i]!, store.encode(result), options.cache.ttlMs);
          return result;
        });
        judged.catch(() => {});
        return judged;
      });
    });
    all.catch(() => {});
    return keys.map((_, i) => all.then((judgements) => judgements[i]!));
  };

  /** Starts one batch for `keys` (distinct, uncached, not in flight). */
  const startBatch = (keys: string[], inputs: I[], share: boolean): Pending<J>[] => {
    const batch: Batch = { controller: new AbortController(), waiters: 0 };
    const started =
      shared && share ? startShared(shared, keys, inputs, batch.controller) : options.start(inputs, batch.controller);
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
      // One batch per call: shared when any of its entries is worth sharing.
      let share = false;
      entries.forEach(({ key: text, input, shared: worthSharing }, index) => {
        const key = digest(text);
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
          if (worthSharing !== false) share = true;
        }
      });
      if (sendKeys.length > 0) {
        const pendings = startBatch(sendKeys, sendInputs, share);
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
