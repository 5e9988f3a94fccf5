import { thrownBy } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import type { TextVerdict } from "../engine.ts";
import { createObscenityEngine, EXTRA_TERM_RULE, ObscenityTermError, PROFANITY_CATEGORY } from "./index.ts";

const engine = createObscenityEngine();

async function judge(text: string, e = engine): Promise<TextVerdict> {
  const [verdict] = await e.moderate([text], { point: "input" });
  return verdict!;
}

/** The original characters each finding covers. */
function matched(text: string, verdict: TextVerdict): string[] {
  return verdict.findings.map((f) => text.slice(f.start, f.end));
}

describe("obscenity engine", () => {
  it("is named obscenity and judges every text in order", async () => {
    expect(engine.name).toBe("obscenity");
    const verdicts = await engine.moderate(["hello there", "fuck this", ""], { point: "output" });
    expect(verdicts.map((v) => v.flagged)).toEqual([false, true, false]);
    expect(verdicts[1]!.categories).toEqual([PROFANITY_CATEGORY]);
    expect(verdicts[1]!.rules).toEqual(["profanity"]);
    expect(verdicts[1]!.findings).toEqual([{ start: 0, end: 4, label: "fuck", category: "profanity" }]);
  });

  it("catches leetspeak", async () => {
    const text = "you are a b1tch and full of sh!t";
    const verdict = await judge(text);
    expect(matched(text, verdict)).toEqual(["b1tch", "sh!t"]);
    expect(verdict.findings.map((f) => f.label)).toEqual(["bitch", "shit"]);
  });

  it("catches repeated letters and masks the repeats too", async () => {
    const text = "fuuuuuckkkk off";
    const verdict = await judge(text);
    expect(matched(text, verdict)).toEqual(["fuuuuuckkkk"]);
  });

  it("catches full-width and confusable letters", async () => {
    const fullWidth = "what the ｆｕｃｋ";
    expect(matched(fullWidth, await judge(fullWidth))).toEqual(["ｆｕｃｋ"]);
    // Mathematical bold f (astral), then Cyrillic/Latin look-alikes.
    const confusable = "𝐟ủƈｋ";
    expect(matched(confusable, await judge(confusable))).toEqual([confusable]);
  });

  it("misses letters separated by spaces or dots (a documented limitation)", async () => {
    expect((await judge("f u c k you")).flagged).toBe(false);
    expect((await judge("f.u.c.k you")).flagged).toBe(false);
  });

  it("maps spans to UTF-16 offsets of the original text, with emoji and astral letters before", async () => {
    const text = "😀 hi 👩‍👩‍👧 𝐀𝐁 shit 😀";
    const verdict = await judge(text);
    expect(verdict.findings).toHaveLength(1);
    const [finding] = verdict.findings;
    expect(text.slice(finding!.start, finding!.end)).toBe("shit");
    expect(finding!.start).toBe(text.indexOf("shit"));
  });

  it("covers an astral last letter entirely", async () => {
    const text = "ab fuc𝗄 cd";
    const verdict = await judge(text);
    expect(matched(text, verdict)).toEqual(["fuc𝗄"]);
  });

  it("reports each place once even when several patterns of a word match it", async () => {
    // `shit` is matched by both `|shit` and `shit|`.
    const text = "shit";
    expect((await judge(text)).findings).toEqual([{ start: 0, end: 4, label: "shit", category: "profanity" }]);
  });

  it("has known false positives, which allowTerms fixes", async () => {
    for (const [text, word] of [
      ["I live in Penistone", "Penis"],
      ["add cumin to the curry", "cum"],
      ["a Wankel engine", "Wank"],
    ] as const) {
      expect(matched(text, await judge(text))).toEqual([word]);
    }
    const allowing = createObscenityEngine({ allowTerms: ["penistone", "Cumin", "wankel engine"] });
    expect((await judge("I live in PENISTONE", allowing)).flagged).toBe(false);
    expect((await judge("add cumin to the curry", allowing)).flagged).toBe(false);
    expect((await judge("a Wankel   engine", allowing)).flagged).toBe(false);
    // The allowed phrase must cover the match: elsewhere the word is still caught.
    const mixed = "a wankel engine is not a wank";
    expect((await judge(mixed, allowing)).findings.map((f) => f.start)).toEqual([mixed.lastIndexOf("wank")]);
    expect((await judge("a wankel is", allowing)).flagged).toBe(true);
    // Allowed terms are matched literally, without leetspeak folding.
    expect((await judge("p3nistone", allowing)).flagged).toBe(true);
  });

  it("adds extra terms as whole words by default", async () => {
    const e = createObscenityEngine({ extraTerms: ["scam"] });
    const text = "this SCAAAM is a sc4m";
    const verdict = await judge(text, e);
    expect(matched(text, verdict)).toEqual(["SCAAAM", "sc4m"]);
    expect(verdict.categories).toEqual([PROFANITY_CATEGORY]);
    expect(verdict.rules).toEqual([EXTRA_TERM_RULE]);
    expect(verdict.findings[0]!.label).toBe("scam");
    expect((await judge("scampi and scammers", e)).flagged).toBe(false);
  });

  it("supports * to match extra terms inside words", async () => {
    const e = createObscenityEngine({ extraTerms: ["scam*", "*ware", "*blorp*"] });
    expect(matched("scammers", await judge("scammers", e))).toEqual(["scamm"]);
    expect(matched("malware", await judge("malware", e))).toEqual(["ware"]);
    expect(matched("xxblorpxx", await judge("xxblorpxx", e))).toEqual(["blorp"]);
    expect((await judge("warehouse", e)).flagged).toBe(false);
  });

  it("normalises extra terms like the text (case, leetspeak, repeats, spaces)", async () => {
    const e = createObscenityEngine({ extraTerms: ["B4D  W0RD", "jazz"] });
    expect(matched("a bad word here", await judge("a bad word here", e))).toEqual(["bad word"]);
    // `jazz` is folded to `jaz` like the text, so it matches at all.
    expect((await judge("I like JAZZ", e)).flagged).toBe(true);
  });

  it("treats pattern meta-characters in extra terms literally", async () => {
    const e = createObscenityEngine({ extraTerms: ["what?"] });
    expect((await judge("whatx", e)).flagged).toBe(false);
    expect((await judge("so what? ok", e)).flagged).toBe(true);
  });

  it("rejects empty terms at construction, naming them", () => {
    expect(() => createObscenityEngine({ extraTerms: ["ok", "  "] })).toThrow(/extra term #2/);
    expect(() => createObscenityEngine({ extraTerms: ["**"] })).toThrow(/extra term #1/);
    expect(() => createObscenityEngine({ allowTerms: [""] })).toThrow(/allowed term #1/);
  });

  it("says which option and which term was unusable, in a typed error", () => {
    const thrown = (options: Parameters<typeof createObscenityEngine>[0]) =>
      thrownBy(() => createObscenityEngine(options), "the engine to refuse its options");
    expect(thrown({ extraTerms: ["ok", "  "] })).toMatchObject({
      name: "ObscenityTermError",
      option: "extraTerms",
      index: 1,
    });
    expect(thrown({ extraTerms: ["ok"], allowTerms: ["fine", ""] })).toMatchObject({ option: "allowTerms", index: 1 });
    expect(thrown({ allowTerms: [""] })).toBeInstanceOf(ObscenityTermError);
  });

  it("never changes clean text and keeps verdicts independent", async () => {
    const verdicts = await engine.moderate(["the pen is mightier", "grapes and bananas", "classic assessment"], {
      point: "input",
    });
    expect(verdicts.every((v) => !v.flagged && v.findings.length === 0 && v.categories.length === 0)).toBe(true);
  });
});

describe("obscenity engine: incremental judging", () => {
  it("extends only its own judgements, never another engine's findings (other terms, another kind)", () => {
    const withTerm = createObscenityEngine({ extraTerms: ["blorptastic"] }).incremental!;
    const without = createObscenityEngine({}).incremental!;
    const text = `blorptastic ${"a calm answer. ".repeat(30)}`;
    const longer = `${text} and more`;
    const prior = withTerm.judge(text);
    expect(prior.verdict.flagged).toBe(true);
    // The engine without the term must not carry the other engine's finding over.
    const extended = without.extend(prior, longer);
    expect(extended === undefined || extended.verdict.flagged === false).toBe(true);
    // A state that is not an obscenity engine's at all (a keyword engine's has `length` and `found` too).
    const foreign = {
      verdict: prior.verdict,
      state: { length: text.length, found: [{ start: 0, end: 4, label: "x" }] },
      bytes: 10,
    };
    expect(without.extend(foreign, longer)).toBeUndefined();
    // Its own judgement extends as before.
    expect(withTerm.extend(prior, longer)?.verdict.flagged).toBe(true);
  });
});

describe("describe (the playground's lists)", () => {
  it("counts the dataset's patterns, the extra terms and the allowed terms", () => {
    const engine = createObscenityEngine({ extraTerms: ["frack", "gorram"], allowTerms: ["scunthorpe"] });
    const description = engine.describe?.();
    expect(description?.engine).toBe("obscenity");
    expect(description?.lists.slice(1)).toEqual([
      { name: "extra terms", kind: "block", terms: 2 },
      { name: "allowed terms", kind: "allow", terms: 1 },
    ]);
    expect(description?.lists[0]?.terms).toBeGreaterThan(50);
    expect(createObscenityEngine().describe?.().lists).toHaveLength(1);
  });
});
