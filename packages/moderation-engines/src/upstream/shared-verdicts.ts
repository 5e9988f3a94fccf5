/**
 * Verdicts of a whole text or window (flagged, and the categories that flagged it) as the shared
 * store keeps them, for the engines backed by an upstream model (OpenAI, guard models).
 */
import { fingerprint, type SharedStore } from "../shared.ts";
import {
  type CoalescingCache,
  type CoalescingCacheOptions,
  categoriesChars,
  createCoalescingCache,
  type SharedJudgements,
} from "./coalesce.ts";
import type { UpstreamEngineOptions } from "./settings.ts";

/** A verdict of one text (or window): the value the engines' verdict caches hold. */
export interface FlagJudgement {
  readonly flagged: boolean;
  readonly categories: readonly string[];
}

/** More categories than any model has: a value with more is not one this code wrote. */
const MAX_CATEGORIES = 64;
const MAX_CATEGORY_LENGTH = 200;

/**
 * Shares flag judgements through `store`, as `[flagged (0 or 1), ...categories]`. `identity` lists
 * everything the verdict depends on besides the cache key (the engine's endpoint, thresholds,
 * blocking categories); it is hashed into the store key.
 */
export function sharedFlagJudgements(
  store: SharedStore,
  identity: readonly unknown[],
): SharedJudgements<FlagJudgement> {
  return {
    store,
    identity: fingerprint(identity),
    encode: (judgement) => JSON.stringify([judgement.flagged ? 1 : 0, ...judgement.categories]),
    decode(value) {
      let data: unknown;
      try {
        data = JSON.parse(value);
      } catch {
        return undefined;
      }
      if (!Array.isArray(data) || data.length < 1 || data.length > MAX_CATEGORIES + 1) return undefined;
      const [flag, ...categories] = data as unknown[];
      if (flag !== 0 && flag !== 1) return undefined;
      if (!categories.every((c) => typeof c === "string" && c.length > 0 && c.length <= MAX_CATEGORY_LENGTH)) {
        return undefined;
      }
      // A clean verdict names no category.
      if (flag === 0 && categories.length > 0) return undefined;
      return { flagged: flag === 1, categories: categories as string[] };
    },
  };
}

/**
 * The verdict cache of an engine whose judgements are {@link FlagJudgement}s (OpenAI, guard models):
 * sized by their categories, reported through the engine's `onUpstream`, and shared through the
 * engine's `shared` store under `identity` (see {@link sharedFlagJudgements}) when it has one.
 */
export function createFlagJudgementCache<I>(
  engine: Pick<UpstreamEngineOptions, "onUpstream" | "shared">,
  options: Pick<CoalescingCacheOptions<I, FlagJudgement>, "name" | "cache" | "abortedError" | "start"> & {
    identity: readonly unknown[];
  },
): CoalescingCache<I, FlagJudgement> {
  const { identity, ...cache } = options;
  return createCoalescingCache<I, FlagJudgement>({
    ...cache,
    judgementChars: (judgement) => categoriesChars(judgement.categories),
    onUpstream: engine.onUpstream,
    ...(engine.shared && { shared: sharedFlagJudgements(engine.shared, identity) }),
  });
}
