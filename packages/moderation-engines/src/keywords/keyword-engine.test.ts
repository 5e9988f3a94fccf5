import { describe, expect, it } from "vitest";
import { createKeywordEngine } from "./keyword-engine.ts";
import { createKeywordMatcher } from "./matcher.ts";

describe("createKeywordEngine", () => {
  const matcher = createKeywordMatcher({
    lists: [
      { name: "profanity", terms: ["fuck"], category: "profanity" },
      { name: "insults", terms: ["傻逼", "idiot"], category: "harassment" },
      { name: "misc", terms: ["hello world"] },
    ],
  });

  it("returns one verdict per text, in order, with spans, the lists' categories and the list names", async () => {
    const engine = createKeywordEngine({ matcher });
    expect(engine.name).toBe("keywords");
    const verdicts = await engine.moderate(["hello", "you FUCKING idiot, fuck", "", "傻逼", "hello world"], {
      point: "input",
    });
    expect(verdicts).toEqual([
      { flagged: false, findings: [], categories: [] },
      {
        flagged: true,
        findings: [
          { start: 12, end: 17, label: "idiot", category: "harassment" },
          { start: 19, end: 23, label: "fuck", category: "profanity" },
        ],
        categories: ["harassment", "profanity"],
        rules: ["insults", "profanity"],
      },
      { flagged: false, findings: [], categories: [] },
      {
        flagged: true,
        findings: [{ start: 0, end: 2, label: "傻逼", category: "harassment" }],
        categories: ["harassment"],
        rules: ["insults"],
      },
      // A list without a `# category:` line is `other`.
      {
        flagged: true,
        findings: [{ start: 0, end: 11, label: "hello world", category: "other" }],
        categories: ["other"],
        rules: ["misc"],
      },
    ]);
  });

  it("reports a term of two lists of different categories once per category", async () => {
    const engine = createKeywordEngine({
      matcher: createKeywordMatcher({
        lists: [
          { name: "a", terms: ["kill"], category: "violence" },
          { name: "b", terms: ["kill"], category: "custom.games" },
          { name: "c", terms: ["kill"], category: "violence" },
        ],
      }),
    });
    const [verdict] = await engine.moderate(["kill it"], { point: "input" });
    expect(verdict!.findings.map((f) => f.category)).toEqual(["custom.games", "violence"]);
  });

  it("swaps the matcher atomically", async () => {
    const engine = createKeywordEngine({ matcher });
    expect(engine.current()).toBe(matcher);
    const next = createKeywordMatcher({ lists: [{ name: "new", terms: ["hello"] }] });
    engine.swap(next);
    expect(engine.current()).toBe(next);
    const [verdict] = await engine.moderate(["hello fuck"], { point: "output" });
    expect(verdict!.findings.map((f) => f.label)).toEqual(["hello"]);
  });

  it("rejects something that is not a matcher", () => {
    expect(() => createKeywordEngine({ matcher: {} as never })).toThrow(/matcher must be a KeywordMatcher/);
    const engine = createKeywordEngine({ matcher });
    expect(() => engine.swap(undefined as never)).toThrow(TypeError);
    expect(engine.current()).toBe(matcher);
  });

  it("rejects a non-string text with a clear error", async () => {
    const engine = createKeywordEngine({ matcher });
    await expect(engine.moderate(["ok", 42 as never], { point: "input" })).rejects.toThrow("texts[1] must be a string");
  });
});

describe("describe (the playground's lists)", () => {
  it("lists the block lists and allow-lists with their term counts, and when they were swapped in", async () => {
    const engine = createKeywordEngine({
      matcher: createKeywordMatcher({
        lists: [{ name: "gambling", terms: ["赌博", "scam", "\u200b"], match: "substring", category: "illicit" }],
        allowLists: [{ name: "food", terms: ["scampi", "scampo"] }],
        allow: ["loose"],
      }),
    });
    const before = engine.describe();
    expect(before).toEqual({
      engine: "keywords",
      lists: [
        { name: "gambling", kind: "block", terms: 2, match: "substring", category: "illicit" },
        { name: "food", kind: "allow", terms: 2 },
        { name: "(allow)", kind: "allow", terms: 1 },
      ],
      loadedAt: expect.any(String),
    });
    // The allow-list works as allow terms: `scampi` is not a `scam`.
    expect((await engine.moderate(["scampi", "a scam"], { point: "input" })).map((v) => v.flagged)).toEqual([
      false,
      true,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    engine.swap(createKeywordMatcher({ lists: [{ name: "other", terms: ["x"] }] }));
    const after = engine.describe();
    expect(after.lists).toEqual([{ name: "other", kind: "block", terms: 1, match: "word", category: "other" }]);
    expect(Date.parse(after.loadedAt!)).toBeGreaterThan(Date.parse(before.loadedAt!));
  });
});

describe("judgements shared by replicas (the codec)", () => {
  const options = () => ({
    lists: [
      { name: "gambling", terms: ["赌博"], category: "illicit", folds: ["repeats" as const] },
      { name: "insults", terms: ["idiot"], category: "harassment" },
      { name: "misc\tlist", terms: ["idiot"] },
    ],
  });

  it("reads back each finding's category, fold and list as the replica that judged wrote them", () => {
    const text = "you idiot, 赌赌博博 here";
    const judged = createKeywordEngine({ matcher: createKeywordMatcher(options()) }).incremental!.judge(text);
    expect(judged.verdict.findings).toEqual([
      { start: 4, end: 9, label: "idiot", category: "harassment" },
      { start: 4, end: 9, label: "idiot", category: "other" },
      { start: 11, end: 15, label: "赌博", category: "illicit", fold: "repeats" },
    ]);
    const replica = createKeywordEngine({ matcher: createKeywordMatcher(options()) }).incremental!;
    const encoded = replica.codec!.encode(replica.judge(text))!;
    expect(replica.codec!.decode(encoded, text.length)!.verdict).toEqual(judged.verdict);
    expect(judged.verdict).toMatchObject({ categories: ["harassment", "other", "illicit"] });
    expect(judged.verdict.rules).toEqual(["insults", "misc\tlist", "gambling"]);
  });

  it("refuses a state written when a list had another category", () => {
    const text = "you idiot";
    const before = createKeywordEngine({ matcher: createKeywordMatcher(options()) }).incremental!;
    const encoded = before.codec!.encode(before.judge(text))!;
    const recategorised = options();
    recategorised.lists[1]!.category = "hate";
    const after = createKeywordEngine({ matcher: createKeywordMatcher(recategorised) }).incremental!;
    expect(after.codec!.decode(encoded, text.length)).toBeUndefined();
  });
});
