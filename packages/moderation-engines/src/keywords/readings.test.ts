import { describe, expect, it } from "vitest";
import { createKeywordMatcher } from "./matcher.ts";
import { chineseReadingsLoaded, latinSpellings, loadChineseReadings, loadReadingsFor, readingsOf } from "./readings.ts";

describe("the pinyin readings", () => {
  it("are loaded only on demand: lists without pinyin, initials or homophones never load them", async () => {
    await loadReadingsFor([{ folds: ["chinese", "numerals", "lookalikes", "repeats"] }, {}]);
    expect(chineseReadingsLoaded()).toBe(false);
    const m = createKeywordMatcher({ lists: [{ name: "zh", terms: ["赌博"], folds: ["repeats"] }] });
    expect(m.find("赌赌博").map((f) => f.label)).toEqual(["赌博"]);
  });

  it("must be loaded before a list that needs them is built, which says so", async () => {
    expect(() => createKeywordMatcher({ lists: [{ name: "zh", terms: ["法轮功"], folds: ["initials"] }] })).toThrow(
      'list "zh" uses the initials fold: await loadChineseReadings()',
    );
    await loadReadingsFor([{ folds: ["homophones"] }]);
    expect(chineseReadingsLoaded()).toBe(true);
    expect(
      createKeywordMatcher({ lists: [{ name: "zh", terms: ["法轮功"], folds: ["initials"] }] }).find("flg"),
    ).toHaveLength(1);
    await loadChineseReadings();
  });

  it("are every toneless reading of a character, interjections left out", () => {
    expect(readingsOf("乐".codePointAt(0)!)).toEqual(["le", "yue", "yao", "lao"]);
    expect(readingsOf("女".codePointAt(0)!)).toEqual(["nü", "ru"]);
    // 嗯 reads only ng: no reading a Latin run could be taken for.
    expect(readingsOf("嗯".codePointAt(0)!)).toEqual([]);
    expect(readingsOf("a".codePointAt(0)!)).toEqual([]);
    expect(latinSpellings("lüe")).toEqual(["lüe", "lve", "lue"]);
  });
});
