import { describe, expect, it } from "vitest";
import type { IncrementalJudgement, ModerationEngine } from "./engine.ts";
import { createKeywordEngine, createKeywordMatcher } from "./keywords/index.ts";
import { createModerationPolicy, type PointPolicy } from "./policy.ts";
import { createStreamCache, streamEntryBytes } from "./stream-cache.ts";

const judgement = (bytes = 100): IncrementalJudgement => ({
  verdict: { flagged: false, findings: [], categories: [] },
  state: null,
  bytes,
});

const MASK: PointPolicy = { action: "mask", presetResponse: "Withheld.", onEngineError: "open" };

/** The keyword engine, counting how often it judges whole texts and how often it extends. */
function countingKeywords(terms: string[]) {
  const engine = createKeywordEngine({ matcher: createKeywordMatcher({ lists: [{ name: "l", terms }] }) });
  const counts = { whole: 0, extended: 0 };
  const incremental = engine.incremental!;
  const counted: ModerationEngine = {
    name: engine.name,
    moderate: (texts, context) => engine.moderate(texts, context),
    incremental: {
      judge(text) {
        counts.whole++;
        return incremental.judge(text);
      },
      extend(prior, text) {
        const extended = incremental.extend(prior, text);
        if (extended) counts.extended++;
        return extended;
      },
    },
  };
  return { engine: counted, counts };
}

describe("stream cache", () => {
  it("finds an entry only for a text that equals or extends it, per app", () => {
    const cache = createStreamCache();
    const text = "a".repeat(300);
    cache.store("app", "output", { text, judgements: [judgement()] });
    expect(cache.lookup("app", "output", `${text}b`)?.text).toBe(text);
    expect(cache.lookup("app", "output", text)?.text).toBe(text);
    expect(cache.lookup("app", "output", text.slice(0, 299))).toBeUndefined();
    expect(cache.lookup("other", "output", `${text}b`)).toBeUndefined();
    expect(cache.lookup("app", "input", `${text}b`)).toBeUndefined();
    // Same opening, different text after it: not an extension.
    cache.store("app", "output", { text: `${text}xyz`, judgements: [judgement()] });
    expect(cache.lookup("app", "output", `${text}xzz`)).toBeUndefined();
  });

  it("keeps its size under the limit, dropping the least recently used answers", () => {
    const entry = (i: number) => ({ text: `${i} ${"x".repeat(1000)}`, judgements: [judgement()] });
    const size = streamEntryBytes("app10", "output", entry(10));
    const cache = createStreamCache({ maxBytes: 5 * size });
    for (let i = 10; i < 30; i++) cache.store(`app${i}`, "output", entry(i));
    const stats = cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(5 * size);
    expect(stats.entries).toBe(5);
    expect(cache.lookup("app10", "output", entry(10).text)).toBeUndefined();
    expect(cache.lookup("app29", "output", entry(29).text)).toBeDefined();
  });

  it("counts the app id in the key against the limit, however long it is", () => {
    const maxBytes = 4 * 1024 * 1024;
    const cache = createStreamCache({ maxBytes });
    const text = "an answer as Dify streams it ".repeat(12);
    // 40 answers of apps with 900 KB ids: 72 MB of keys if the ids were not counted.
    for (let i = 0; i < 40; i++) {
      const appId = `${i}`.padEnd(900 * 1024, "x");
      cache.store(appId, "output", { text, judgements: [judgement()] });
    }
    const stats = cache.stats();
    // What the cache holds, app ids included, is within the limit.
    expect(stats.entries * 2 * 900 * 1024).toBeLessThanOrEqual(maxBytes);
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it("keeps apps apart whatever their ids hold (NUL included)", () => {
    const cache = createStreamCache();
    // With parts joined by NUL both would have the key `output␀x␀y␀hello`: one would evict the other.
    cache.store("x", "output", { text: "y\u0000hello", judgements: [judgement()] });
    cache.store("x\u0000y", "output", { text: "hello", judgements: [judgement()] });
    expect(cache.lookup("x", "output", "y\u0000hello")?.text).toBe("y\u0000hello");
    expect(cache.lookup("x\u0000y", "output", "hello")?.text).toBe("hello");
    expect(cache.stats().entries).toBe(2);
  });

  it("does not store an answer larger than the whole limit, and 0 turns it off", () => {
    const cache = createStreamCache({ maxBytes: 4096 });
    cache.store("app", "output", { text: "x".repeat(10_000), judgements: [judgement()] });
    expect(cache.stats().entries).toBe(0);
    const off = createStreamCache({ maxBytes: 0 });
    off.store("app", "output", { text: "x", judgements: [judgement()] });
    expect(off.lookup("app", "output", "x")).toBeUndefined();
  });

  it("refuses a negative size or a zero idle time", () => {
    expect(() => createStreamCache({ maxBytes: -1 })).toThrow(RangeError);
    expect(() => createStreamCache({ idleMs: 0 })).toThrow(RangeError);
  });
});

describe("the policy with a stream cache", () => {
  const answer = `${"The weather is fine and the team meets at noon. ".repeat(40)}then a forbidden word, and more text after it. `;
  const calls = (text: string) => {
    const cuts: string[] = [];
    for (let cut = 300; cut < text.length; cut += 300) cuts.push(text.slice(0, cut));
    return [...cuts, text];
  };

  it("judges each call of a streamed answer on its new part, with the whole-text reply", async () => {
    const { engine, counts } = countingKeywords(["forbidden word"]);
    const cached = createModerationPolicy({
      engines: [engine],
      input: MASK,
      output: MASK,
      streamCache: createStreamCache(),
    });
    const plain = createModerationPolicy({ engines: [engine], input: MASK, output: MASK });
    for (const text of calls(answer)) {
      const params = { app_id: "app", text };
      expect(await cached.moderateOutput(params)).toEqual(await plain.moderateOutput(params));
    }
    expect(counts.whole).toBe(1);
    expect(counts.extended).toBe(calls(answer).length - 1);
    // The masked span is where the whole text has it.
    const reply = await cached.moderateOutput({ app_id: "app", text: answer });
    expect(reply).toMatchObject({ flagged: true, action: "overridden" });
    expect((reply as { text: string }).text).toContain("**************");
  });

  it("falls back to whole-text judging when the cache is too small, with the same replies", async () => {
    const { engine, counts } = countingKeywords(["forbidden word"]);
    const tiny = createModerationPolicy({
      engines: [engine],
      input: MASK,
      output: MASK,
      streamCache: createStreamCache({ maxBytes: 1024 }),
    });
    const plain = createModerationPolicy({ engines: [engine], input: MASK, output: MASK });
    for (const text of calls(answer)) {
      const params = { app_id: "app", text };
      expect(await tiny.moderateOutput(params)).toEqual(await plain.moderateOutput(params));
    }
    expect(counts.extended).toBe(0);
  });

  it("judges a text again after the keyword list changed, never from the old list's findings", async () => {
    const engine = createKeywordEngine({
      matcher: createKeywordMatcher({ lists: [{ name: "l", terms: ["weather"] }] }),
    });
    const policy = createModerationPolicy({
      engines: [engine],
      input: MASK,
      output: MASK,
      streamCache: createStreamCache(),
    });
    const [first, ...rest] = calls(answer);
    expect(await policy.moderateOutput({ app_id: "app", text: first! })).toMatchObject({ flagged: true });
    engine.swap(createKeywordMatcher({ lists: [{ name: "l", terms: ["nothing here"] }] }));
    for (const text of rest)
      expect(await policy.moderateOutput({ app_id: "app", text })).toMatchObject({ flagged: false });
  });
});
