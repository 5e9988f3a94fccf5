import { describe, expect, it } from "vitest";
import { EngineUnavailableError, type UpstreamEvent } from "../engine.ts";
import { categoriesChars, createCoalescingCache } from "./coalesce.ts";

interface Verdict {
  flagged: boolean;
  categories: string[];
}

/** A cache whose "upstream" answers every input with `answer(input)`, counting the inputs it was sent. */
function cacheOf(maxChars: number, answer: (input: string) => Verdict) {
  const sent: string[] = [];
  const events: UpstreamEvent[] = [];
  const cache = createCoalescingCache<string, Verdict>({
    name: "test",
    cache: { max: 1000, ttlMs: 60_000, maxChars },
    judgementChars: (verdict) => categoriesChars(verdict.categories),
    start(inputs) {
      sent.push(...inputs);
      return inputs.map(async (input) => answer(input));
    },
    abortedError: () => new EngineUnavailableError("test", "aborted"),
    onUpstream: (event) => events.push(event),
  });
  const judge = (keys: string[]) => cache.judge(keys.map((key) => ({ key, input: key })));
  return { judge, sent, events };
}

describe("coalescing verdict cache", () => {
  it("answers a repeated key from the cache", async () => {
    const { judge, sent } = cacheOf(10_000, () => ({ flagged: false, categories: [] }));
    await judge(["a", "b"]);
    expect(await judge(["a", "b", "a"])).toEqual([
      { flagged: false, categories: [] },
      { flagged: false, categories: [] },
      { flagged: false, categories: [] },
    ]);
    expect(sent).toEqual(["a", "b"]);
  });

  it("counts the judgement against the limit: an upstream's 100k-character category name is not kept", async () => {
    const huge = "c".repeat(100_000);
    const { judge, sent } = cacheOf(10_000, () => ({ flagged: true, categories: [huge] }));
    await judge(["text"]);
    await judge(["text"]);
    // Not cached (it alone exceeds the limit): asked again.
    expect(sent).toEqual(["text", "text"]);
  });

  it("holds at most maxChars of keys and judgements together", async () => {
    const category = "x".repeat(500);
    const { judge, events } = cacheOf(10_000, () => ({ flagged: true, categories: [category] }));
    const keys = Array.from({ length: 100 }, (_, i) => `text ${i}`.padEnd(100, "."));
    for (const key of keys) await judge([key]);
    events.length = 0;
    // Most recent first, so every entry still held is found before an insert evicts it.
    for (const key of keys.toReversed()) await judge([key]);
    const hits = events.filter((event) => event.kind === "cache" && event.hit).length;
    expect(hits).toBeGreaterThan(0);
    // Each entry holds a 100-character key and a 500-character category name, at least.
    expect(hits * (100 + 500)).toBeLessThanOrEqual(10_000);
  });
});
