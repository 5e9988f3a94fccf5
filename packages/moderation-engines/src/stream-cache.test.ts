import { memoryStore } from "@dify-ext/test-support/memory-store";
import { describe, expect, it } from "vitest";
import type { IncrementalJudgement, ModerationEngine } from "./engine.ts";
import { createKeywordEngine, createKeywordMatcher } from "./keywords/index.ts";
import { createModerationPolicy, type PointPolicy } from "./policy.ts";
import { createStreamCache, type StreamPrior, streamEntryBytes } from "./stream-cache.ts";

const judgement = (bytes = 100): IncrementalJudgement => ({
  verdict: { flagged: false, findings: [], categories: [] },
  state: null,
  bytes,
});

const MASK: PointPolicy = { action: "mask", presetResponse: "Withheld.", onEngineError: "open" };

/** The keyword engine, counting how often it judges whole texts and how often it extends. */
function countingKeywords(terms: string[]) {
  const engine = createKeywordEngine({ matcher: createKeywordMatcher({ lists: [{ name: "l", terms }] }) });
  const counts = { whole: 0, extended: 0, decoded: 0 };
  const incremental = engine.incremental!;
  const codec = incremental.codec!;
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
      codec: {
        encode: (judgement) => codec.encode(judgement),
        decode(encoded, length) {
          const decoded = codec.decode(encoded, length);
          if (decoded) counts.decoded++;
          return decoded;
        },
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
    expect((cache.lookup("app", "output", `${text}b`) as StreamPrior).length).toBe(text.length);
    expect((cache.lookup("app", "output", text) as StreamPrior).length).toBe(text.length);
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
    expect((cache.lookup("x", "output", "y\u0000hello") as StreamPrior | undefined)?.length).toBe(7);
    expect((cache.lookup("x\u0000y", "output", "hello") as StreamPrior | undefined)?.length).toBe(5);
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

describe("streamed-answer judgements shared by replicas", () => {
  const answer = `${"Our garden club meets on Saturday mornings to plant tomatoes. ".repeat(60)}a forbidden word here. ${"More text after it follows. ".repeat(20)}`;
  const calls = (text: string) => {
    const cuts: string[] = [];
    for (let cut = 300; cut < text.length; cut += 300) cuts.push(text.slice(0, cut));
    return [...cuts, text];
  };
  const replica = (shared: ReturnType<typeof memoryStore>, terms = ["forbidden word"], localReach?: number) => {
    const { engine, counts } = countingKeywords(terms);
    const policy = createModerationPolicy({
      engines: [engine],
      input: MASK,
      output: MASK,
      streamCache: createStreamCache({ shared, ...(localReach !== undefined && { localReach }) }),
    });
    return { policy, counts };
  };

  it("resumes on any replica from the judgement another saved, with the whole-text replies", async () => {
    const shared = memoryStore();
    const replicas = [replica(shared), replica(shared), replica(shared)];
    const { engine } = countingKeywords(["forbidden word"]);
    const plain = createModerationPolicy({ engines: [engine], input: MASK, output: MASK });
    for (const [index, text] of calls(answer).entries()) {
      const params = { app_id: "app", text };
      expect(await replicas[index % 3]!.policy.moderateOutput(params)).toEqual(await plain.moderateOutput(params));
    }
    // Only the very first call was judged whole; the store holds no text, only a hash and states.
    expect(replicas.reduce((sum, r) => sum + r.counts.whole, 0)).toBe(1);
    const stored = [...shared.values.values()].join("");
    expect(stored).not.toContain("garden");
    expect(stored).toContain('\\"k2\\"');
    expect([...shared.values.keys()].every((key) => /^s:[\w-]{43}$/.test(key))).toBe(true);
  });

  it("asks the store only when its own entry is far behind (local reach)", async () => {
    const shared = memoryStore();
    const replicas = [replica(shared), replica(shared), replica(shared)];
    for (const [index, text] of calls(answer).entries()) {
      await replicas[index % 3]!.policy.moderateOutput({ app_id: "app", text });
    }
    // Each replica asked once (its first call); later calls resumed from its own entry, 900 characters back.
    expect(shared.gets).toBe(3);
    // The first call wrote (it resumed from nothing); then only calls that passed a multiple of
    // 4,096 characters (here the two from below 4,096 to above it: 3,300 → 4,200 and 3,900 → the end).
    expect(shared.sets).toBe(3);
    expect(answer.length).toBeGreaterThan(4096);
    expect(answer.length).toBeLessThan(4500);
  });

  it("never uses a state of other lists (a foreign or stale state): that replica judges whole", async () => {
    const shared = memoryStore();
    const a = replica(shared, ["forbidden word"], 0);
    const b = replica(shared, ["tomatoes"], 0);
    const { engine } = countingKeywords(["tomatoes"]);
    const plainB = createModerationPolicy({ engines: [engine], input: MASK, output: MASK });
    for (const [index, text] of calls(answer).entries()) {
      const params = { app_id: "app", text };
      if (index % 2 === 0) await a.policy.moderateOutput(params);
      else expect(await b.policy.moderateOutput(params)).toEqual(await plainB.moderateOutput(params));
    }
    // b never took a's states: it judged whole, or extended its own judgements.
    expect(b.counts.decoded).toBe(0);
    expect(a.counts.decoded).toBe(0);
  });

  it("never uses a state saved for another text with the same opening", async () => {
    const shared = memoryStore();
    const a = replica(shared, ["forbidden word"], 0);
    const b = replica(shared, ["forbidden word"], 0);
    const opening = answer.slice(0, 600);
    await a.policy.moderateOutput({ app_id: "app", text: `${opening}a forbidden word` });
    // Same opening, same length, different text: the hash does not match.
    const other = `${opening}a harmless words`;
    expect(await b.policy.moderateOutput({ app_id: "app", text: `${other} and more` })).toMatchObject({
      flagged: false,
    });
    expect(b.counts.extended).toBe(0);
    expect(b.counts.whole).toBe(1);
  });

  it("judges whole, never throwing, when the store holds garbage or states that do not hold together", async () => {
    const shared = memoryStore();
    const a = replica(shared, ["forbidden word"], 0);
    const text = calls(answer)[5]!;
    await a.policy.moderateOutput({ app_id: "app", text });
    const [key, value] = [...shared.values.entries()][0]!;
    const entry = JSON.parse(value) as { v: number; n: number; h: string; j: string[] };
    const state = JSON.parse(entry.j[0]!) as unknown[];
    const variants = [
      "not json",
      "null",
      "[]",
      JSON.stringify({ ...entry, v: 2 }),
      JSON.stringify({ ...entry, n: -5 }),
      JSON.stringify({ ...entry, j: [42] }),
      JSON.stringify({ ...entry, j: ["{]"] }),
      JSON.stringify({ ...entry, j: [JSON.stringify(["k0", ...state.slice(1)])] }),
      JSON.stringify({ ...entry, j: [JSON.stringify([state[0], "other-lists", ...state.slice(2)])] }),
      JSON.stringify({ ...entry, j: [JSON.stringify([...state.slice(0, 2), entry.n + 1, ...state.slice(3)])] }),
      // A finding past the end of the text it claims to have judged.
      JSON.stringify({ ...entry, j: [JSON.stringify([...state.slice(0, 3), ["x", "l"], [entry.n, 5, 0, 1]])] }),
      JSON.stringify({ ...entry, j: [JSON.stringify([...state.slice(0, 3), ["x"], [0, 5, 0, 3]])] }),
      JSON.stringify({ ...entry, j: [JSON.stringify([...state.slice(0, 3), ["x"], [0, 5, 0]])] }),
    ];
    const { engine } = countingKeywords(["forbidden word"]);
    const plain = createModerationPolicy({ engines: [engine], input: MASK, output: MASK });
    const longer = calls(answer).at(-1)!;
    for (const variant of variants) {
      const b = replica(shared, ["forbidden word"], 0);
      shared.values.set(key, variant);
      expect(await b.policy.moderateOutput({ app_id: "app", text: longer }), variant).toEqual(
        await plain.moderateOutput({ app_id: "app", text: longer }),
      );
      expect(b.counts.decoded, variant).toBe(0);
    }
  });

  it("answers from local judgements when the store never answers (a miss), as without one", async () => {
    const silent = { get: () => Promise.resolve([undefined]), set() {} };
    const { engine, counts } = countingKeywords(["forbidden word"]);
    const policy = createModerationPolicy({
      engines: [engine],
      input: MASK,
      output: MASK,
      streamCache: createStreamCache({ shared: silent }),
    });
    for (const text of calls(answer)) await policy.moderateOutput({ app_id: "app", text });
    expect(counts.whole).toBe(1);
  });
});
