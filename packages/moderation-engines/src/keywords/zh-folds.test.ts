import { describe, expect, it } from "vitest";
import { maskSpans } from "../mask.ts";
import { createKeywordMatcher, type KeywordListInput } from "./matcher.ts";
import { FOLD_NAMES, type ListFold, parseKeywordList } from "./parse.ts";
import { loadChineseReadings } from "./readings.ts";

await loadChineseReadings();

const list = (terms: string[], ...folds: ListFold[]): KeywordListInput => ({ name: "zh", terms, folds });
const matcherOf = (terms: string[], ...folds: ListFold[]) => createKeywordMatcher({ lists: [list(terms, ...folds)] });
/** [matched original text, label, fold] of each finding. */
const found = (m: ReturnType<typeof matcherOf>, text: string) =>
  m.find(text).map((f) => [text.slice(f.start, f.end), f.label, f.fold ?? ""]);

describe("the # fold: directive", () => {
  it("takes several folds, comma- or space-separated, on one line or several, in a fixed order", () => {
    expect(parseKeywordList("# fold: chinese, pinyin\n# FOLD: Homophones repeats\n法轮功", "zh").folds).toEqual([
      "chinese",
      "repeats",
      "pinyin",
      "homophones",
    ]);
    expect(parseKeywordList("# fold: pinyin,pinyin\nx", "zh").folds).toEqual(["pinyin"]);
    expect(parseKeywordList("法轮功", "zh").folds).toBeUndefined();
  });

  it("names the list, the line and the unknown fold; an empty directive is an error too", () => {
    expect(() => parseKeywordList("a\n# fold: chinese, pinyn", "bad")).toThrow(
      `keyword list "bad", line 2: unknown fold "pinyn" (expected ${FOLD_NAMES.join(", ")})`,
    );
    expect(() => parseKeywordList("# fold:\na", "empty")).toThrow(/line 1: expected one or more folds/);
  });

  it("is off by default: a list without it matches none of the evasions", () => {
    const m = createKeywordMatcher({ lists: [{ name: "zh", terms: ["法轮功", "赌博", "12345678"] }] });
    for (const text of ["falungong", "flg", "发轮功", "氵去轮功", "壹贰叁肆伍陆柒捌", "法輪功"]) {
      expect(m.find(text)).toEqual([]);
    }
    // 赌博 stands inside 赌赌博博 as written: found there, on its two characters only.
    expect(m.find("赌赌博博").map((f) => [f.start, f.end])).toEqual([[1, 3]]);
  });
});

describe("pinyin", () => {
  const m = matcherOf(["法轮功", "长城", "女人"], "pinyin");

  it("matches toneless syllables in any case, with or without separators, mixed with the characters", () => {
    for (const text of [
      "fa lun gong",
      "falungong",
      "FaLunGong",
      "FALUNGONG",
      "fa-lun-gong",
      "fa'lun'gong",
      "法lun功",
    ]) {
      expect(found(m, text)).toEqual([[text, "法轮功", "pinyin"]]);
    }
    expect(found(m, "法 lun 功")).toEqual([["法 lun 功", "法轮功", "pinyin"]]);
    expect(found(m, "ｆａｌｕｎｇｏｎｇ")).toEqual([["ｆａｌｕｎｇｏｎｇ", "法轮功", "pinyin"]]);
  });

  it("matches a polyphonic character on any of its readings, and ü as ü, v or u", () => {
    expect(found(m, "changcheng")).toEqual([["changcheng", "长城", "pinyin"]]);
    expect(found(m, "zhangcheng")).toEqual([["zhangcheng", "长城", "pinyin"]]);
    for (const text of ["nüren", "nvren", "nuren", "nü ren"])
      expect(found(m, text)).toEqual([[text, "女人", "pinyin"]]);
  });

  it("bounds Latin runs as whole words: no match inside a longer word or a run with more letters", () => {
    for (const text of ["falungongs", "xfalungong", "woaifalungong", "falungong2", "法lunar功", "Lun is my friend"]) {
      expect(m.find(text)).toEqual([]);
    }
    expect(found(m, "I saw falungong.")).toEqual([["falungong", "法轮功", "pinyin"]]);
    expect(found(m, "说falungong吧")).toEqual([["falungong", "法轮功", "pinyin"]]);
  });

  it("applies to terms of two or more Han characters only, and lets separators stand only beside Latin letters", () => {
    const single = matcherOf(["轮", "AV女优"], "pinyin");
    expect(single.find("lun")).toEqual([]);
    expect(single.find("AV nvyou")).toEqual([]);
    // Between two characters a space is still a space, as without the fold.
    expect(m.find("法 轮 功")).toEqual([]);
  });

  it("does not replace characters by homophones: a Han character must be the term's own", () => {
    expect(m.find("发lun功")).toEqual([]);
    expect(m.find("发轮功")).toEqual([]);
  });
});

describe("initials", () => {
  const m = matcherOf(["法轮功", "长城", "轮"], "initials");

  it("matches a term of two or more characters written as its initials, a whole word, any case", () => {
    expect(found(m, "flg")).toEqual([["flg", "法轮功", "initials"]]);
    expect(found(m, "练FLG的人")).toEqual([["FLG", "法轮功", "initials"]]);
    expect(found(m, "cc!")).toEqual([["cc", "长城", "initials"]]);
    expect(found(m, "zc")).toEqual([["zc", "长城", "initials"]]);
  });

  it("never matches inside a word, nor a single character's initial", () => {
    for (const text of ["flight", "flgs", "aflg", "flg2", "l", "f l g x"]) expect(m.find(text)).toEqual([]);
  });
});

describe("homophones", () => {
  const m = matcherOf(["法轮功", "重庆市", "月亮湾", "法轮"], "homophones");

  it("matches characters replaced by others with the same toneless syllable, on any reading of either", () => {
    expect(found(m, "发轮功")).toEqual([["发轮功", "法轮功", "homophones"]]);
    expect(found(m, "发论攻")).toEqual([["发论攻", "法轮功", "homophones"]]);
    // 重 reads zhong and chong; 乐 reads le and yue.
    expect(found(m, "虫庆市")).toEqual([["虫庆市", "重庆市", "homophones"]]);
    expect(found(m, "中庆市")).toEqual([["中庆市", "重庆市", "homophones"]]);
    expect(found(m, "乐亮湾")).toEqual([["乐亮湾", "月亮湾", "homophones"]]);
  });

  it("needs the whole term: one shared syllable is not a match, and two-character terms are left out", () => {
    expect(m.find("发展")).toEqual([]);
    expect(m.find("我们发展了经济")).toEqual([]);
    expect(m.find("发伦")).toEqual([]);
    expect(found(m, "法轮")).toEqual([["法轮", "法轮", ""]]);
  });

  it("does not read Latin letters", () => {
    expect(m.find("falungong")).toEqual([]);
  });
});

describe("lookalikes", () => {
  const m = matcherOf(["法轮功", "逼"], "lookalikes");

  it("reads two components written for one character, and radical forms, masking the whole split", () => {
    expect(found(m, "氵去轮功")).toEqual([["氵去轮功", "法轮功", "lookalikes"]]);
    expect(found(m, "法车仑功")).toEqual([["法车仑功", "法轮功", "lookalikes"]]);
    expect(found(m, "氵去车仑工力")).toEqual([["氵去车仑工力", "法轮功", "lookalikes"]]);
    expect(found(m, "⺡去轮功")).toEqual([["⺡去轮功", "法轮功", "lookalikes"]]);
    expect(found(m, "辶畐")).toEqual([["辶畐", "逼", "lookalikes"]]);
    expect(maskSpans("练氵去轮功吧", m.find("练氵去轮功吧"))).toBe("练****吧");
  });

  it("still finds the components as written (a second reading, not a replacement)", () => {
    const both = matcherOf(["去轮"], "lookalikes");
    expect(found(both, "氵去轮")).toEqual([["去轮", "去轮", ""]]);
  });

  it("has the documented false positive: two characters that happen to compose one", () => {
    // 好 is 女 + 子: a term with 好 matches "女子" in its place.
    expect(found(matcherOf(["好人"], "lookalikes"), "女子人")).toEqual([["女子人", "好人", "lookalikes"]]);
  });
});

describe("repeats", () => {
  const m = matcherOf(["赌博", "妈妈", "god"], "repeats");

  it("reads a run of one Han character as one, covering the whole runs", () => {
    expect(found(m, "赌赌博博")).toEqual([["赌赌博博", "赌博", "repeats"]]);
    expect(found(m, "来赌赌赌博吧")).toEqual([["赌赌赌博", "赌博", "repeats"]]);
    expect(maskSpans("赌赌博博", m.find("赌赌博博"))).toBe("****");
  });

  it("keeps a term's own repeats: they must be there at least as often", () => {
    expect(m.find("妈")).toEqual([]);
    expect(found(m, "妈妈")).toEqual([["妈妈", "妈妈", ""]]);
    expect(found(m, "妈妈妈")).toEqual([["妈妈妈", "妈妈", "repeats"]]);
  });

  it("leaves Latin letters alone (good is not god)", () => {
    expect(m.find("good")).toEqual([]);
    expect(found(m, "god")).toEqual([["god", "god", ""]]);
  });
});

describe("numerals", () => {
  const m = matcherOf(["12345678", "110", "一夜情"], "numerals");

  it("reads Chinese digits as 0-9, so digit terms and contact numbers match", () => {
    expect(found(m, "加我QQ壹贰叁肆伍陆柒捌")).toEqual([["壹贰叁肆伍陆柒捌", "12345678", "numerals"]]);
    expect(found(m, "一二三四五六七八")).toEqual([["一二三四五六七八", "12345678", "numerals"]]);
    expect(found(m, "1二3四5六7八")).toEqual([["1二3四5六7八", "12345678", "numerals"]]);
    expect(found(m, "报警打幺幺〇")).toEqual([["幺幺〇", "110", "numerals"]]);
    expect(found(m, "1夜情")).toEqual([["1夜情", "一夜情", "numerals"]]);
  });

  it("does not match a number that is not the term", () => {
    for (const text of [
      "123456789",
      "壹贰叁肆伍陆柒捌玖",
      "1壹贰叁肆伍陆柒捌",
      "壹贰叁肆伍陆柒捌9",
      "十一〇",
      "一一〇〇",
    ]) {
      expect(m.find(text)).toEqual([]);
    }
  });

  it("lets a letter stand next to a Chinese numeral, but not next to a digit written as one (as without the fold)", () => {
    expect(found(m, "QQ壹贰叁肆伍陆柒捌")).toEqual([["壹贰叁肆伍陆柒捌", "12345678", "numerals"]]);
    expect(m.find("QQ12345678")).toEqual([]);
    expect(found(m, "ok一夜情")).toEqual([["一夜情", "一夜情", ""]]);
  });
});

describe("folds together", () => {
  const every = [...FOLD_NAMES];
  const m = matcherOf(["法轮功", "赌博", "12345678"], ...every);

  it("finds each evasion of the issue, naming the fold, with spans on the original text", () => {
    const cases: Array<[string, string, string]> = [
      ["fa lun gong", "法轮功", "pinyin"],
      ["法lun功", "法轮功", "pinyin"],
      ["flg", "法轮功", "initials"],
      ["发轮功", "法轮功", "homophones"],
      ["氵去轮功", "法轮功", "lookalikes"],
      ["赌赌博博", "赌博", "repeats"],
      ["壹贰叁肆伍陆柒捌", "12345678", "numerals"],
      ["法輪功", "法轮功", "chinese"],
      // 發 is the Traditional form of 发, a homophone of 法.
      ["發輪功", "法轮功", "chinese+homophones"],
    ];
    for (const [text, label, fold] of cases) expect(found(m, `>${text}<`)).toEqual([[text, label, fold]]);
  });

  it("never takes digits written as digits for the components of a character (11 is not 二, 一一 is)", () => {
    // Found by the property test: with numerals and lookalikes, 一一 (the split of 二) and 11 read alike.
    const two = matcherOf(["贰"], ...every);
    expect(two.find("11法")).toEqual([]);
    expect(found(two, "2")).toEqual([["2", "贰", "numerals"]]);
  });

  it("has none of the naive false positives", () => {
    for (const text of ["flight", "Lun is my friend", "发展", "123456789", "壹贰叁肆伍陆柒捌玖", "lun gong"]) {
      expect(m.find(text)).toEqual([]);
    }
  });

  it("masks and allows as for every list: an allow term written as the evasion passes it", () => {
    const allowed = createKeywordMatcher({ lists: [list(["法轮功"], ...every)], allow: ["发轮功"] });
    expect(allowed.find("发轮功")).toEqual([]);
    expect(found(allowed, "法轮功")).toEqual([["法轮功", "法轮功", ""]]);
    expect(maskSpans("他说fa lun gong好", m.find("他说fa lun gong好"))).toBe("他说***********好");
  });

  it("leaves a list without folds as it was, in the same matcher", () => {
    const mixed = createKeywordMatcher({
      lists: [{ name: "en", terms: ["flight"] }, { name: "plain", terms: ["赌博"] }, list(["法轮功"], ...every)],
    });
    expect(mixed.find("flight 发轮功 赌赌博博").map((f) => [f.label, f.list, f.fold ?? ""])).toEqual([
      ["flight", "en", ""],
      ["法轮功", "zh", "homophones"],
      ["赌博", "plain", ""],
    ]);
    expect(mixed.stats.lists.map((l) => l.folds ?? [])).toEqual([[], [], every]);
    expect(mixed.stats.variants).toMatchObject({ initials: 1, soundTerms: 1 });
  });
});
