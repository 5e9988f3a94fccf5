import { propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import STCharacters from "opencc-js/dict/STCharacters";
import TSCharacters from "opencc-js/dict/TSCharacters";
import { describe, expect, it } from "vitest";
import { maskSpans } from "../mask.ts";
import { chineseFoldTable, foldChinese } from "./chinese-fold.ts";
import { createKeywordMatcher, type KeywordFinding, type KeywordListInput } from "./matcher.ts";
import { NormalizedBuffer, normalizeForMatching, normalizeInto } from "./normalize.ts";
import { parseKeywordList } from "./parse.ts";

const spans = (found: KeywordFinding[]) => found.map(({ start, end, label, list }) => ({ start, end, label, list }));
const folded = (terms: string[], extra: Partial<KeywordListInput> = {}): KeywordListInput => ({
  name: "zh",
  terms,
  folds: ["chinese"],
  ...extra,
});

describe("the # fold: chinese directive", () => {
  it("sets the list's fold; lists without it have none", () => {
    expect(parseKeywordList("# fold: chinese\n共产党", "zh")).toEqual({
      name: "zh",
      terms: ["共产党"],
      folds: ["chinese"],
      skipped: 0,
    });
    expect(parseKeywordList("#FOLD:Chinese\n# match: substring\nx", "a").folds).toEqual(["chinese"]);
    expect(parseKeywordList("共产党", "plain")).toEqual({ name: "plain", terms: ["共产党"], skipped: 0 });
  });

  it("rejects an unknown fold, naming list and line", () => {
    expect(() => parseKeywordList("a\n# fold: japanese", "bad")).toThrow(
      'keyword list "bad", line 2: unknown fold "japanese" (expected chinese, numerals, lookalikes, repeats, pinyin, initials, homophones)',
    );
  });

  it("is refused by the matcher when the value is unknown", () => {
    expect(() =>
      createKeywordMatcher({ lists: [{ name: "x", terms: ["a"], folds: ["klingon" as unknown as "chinese"] }] }),
    ).toThrow(
      'list "x": unknown fold "klingon" (expected one of chinese, numerals, lookalikes, repeats, pinyin, initials, homophones)',
    );
  });
});

describe("Traditional/Simplified folding", () => {
  it("matches a Simplified term in Traditional text, on the original characters", () => {
    const m = createKeywordMatcher({ lists: [folded(["共产党", "法轮功"])] });
    const text = "打倒共產黨，練法輪功";
    const found = m.find(text);
    expect(spans(found)).toEqual([
      { start: 2, end: 5, label: "共产党", list: "zh" },
      { start: 7, end: 10, label: "法轮功", list: "zh" },
    ]);
    expect(found.map((f) => text.slice(f.start, f.end))).toEqual(["共產黨", "法輪功"]);
    expect(maskSpans(text, found)).toBe("打倒***，練***");
  });

  it("matches a Traditional term in Simplified text", () => {
    const m = createKeywordMatcher({ lists: [folded(["發票詐騙"])] });
    expect(spans(m.find("小心发票诈骗"))).toEqual([{ start: 2, end: 6, label: "發票詐騙", list: "zh" }]);
  });

  it("matches mixed-script terms and texts, and Taiwan/Hong Kong variant forms", () => {
    const m = createKeywordMatcher({ lists: [folded(["共產党", "看着", "裡面"])] });
    expect(m.find("共产黨万岁").map((f) => f.label)).toEqual(["共產党"]);
    // Taiwan writes 著 for 着 and 裡 for 裏/里.
    expect(m.find("他看著我").map((f) => f.label)).toEqual(["看着"]);
    expect(m.find("在里面").map((f) => f.label)).toEqual(["裡面"]);
    expect(m.find("在裏面").map((f) => f.label)).toEqual(["裡面"]);
  });

  it("keeps spans exact around normalisation (full-width, invisible characters, emoji, surrogate pairs)", () => {
    const m = createKeywordMatcher({ lists: [folded(["共产党"])] });
    const text = "😀Ａ共\u200B產\uFE0F黨😀";
    const found = m.find(text);
    expect(found).toHaveLength(1);
    expect(text.slice(found[0]!.start, found[0]!.end)).toBe("共\u200B產\uFE0F黨");
    expect(maskSpans(text, found)).toBe("😀Ａ*****😀");
  });

  it("leaves lists without the option as they were, in the same matcher", () => {
    const m = createKeywordMatcher({
      lists: [{ name: "plain", terms: ["共产党"] }, folded(["法轮功"])],
    });
    expect(spans(m.find("共產黨 法輪功 共产党"))).toEqual([
      { start: 4, end: 7, label: "法轮功", list: "zh" },
      { start: 8, end: 11, label: "共产党", list: "plain" },
    ]);
    const plainOnly = createKeywordMatcher({ lists: [{ name: "plain", terms: ["共产党"] }] });
    expect(plainOnly.find("共產黨")).toEqual([]);
  });

  it("reports overlapping findings of folded and plain lists once each, sorted", () => {
    const m = createKeywordMatcher({
      lists: [{ name: "plain", terms: ["共产党", "党"] }, folded(["共产党"])],
    });
    expect(spans(m.find("打倒共产党"))).toEqual([
      { start: 2, end: 5, label: "共产党", list: "plain" },
      { start: 4, end: 5, label: "党", list: "plain" },
    ]);
  });

  it("keeps whole-word rules for Latin terms and lets Han terms match anywhere", () => {
    const m = createKeywordMatcher({ lists: [folded(["ass", "傻逼", "习近平"])] });
    expect(m.find("class assignment")).toEqual([]);
    expect(spans(m.find("你是ass吧"))).toEqual([{ start: 2, end: 5, label: "ass", list: "zh" }]);
    expect(m.find("abc習近平xyz").map((f) => f.label)).toEqual(["习近平"]);
  });

  it("works with the separators pass: the span runs from the first to the last original character", () => {
    const m = createKeywordMatcher({ lists: [folded(["共产党"])], separators: true });
    const text = "打倒 共 . 產 - 黨!";
    const found = m.find(text);
    expect(found).toHaveLength(1);
    expect(text.slice(found[0]!.start, found[0]!.end)).toBe("共 . 產 - 黨");
    // A term with its own separators still needs them, in either script.
    const own = createKeywordMatcher({ lists: [folded(["發-票"])], separators: true });
    expect(own.find("发 - 票").map((f) => f.label)).toEqual(["發-票"]);
    expect(own.find("发票")).toEqual([]);
  });

  it("keeps lists without the option exact whether they share the folded pass or not", () => {
    // Latin-only lists share the folded matcher (folding cannot change what they find).
    const shared = createKeywordMatcher({ lists: [{ name: "en", terms: ["x"] }, folded(["后"])] });
    expect(spans(shared.find("x 後"))).toEqual([
      { start: 0, end: 1, label: "x", list: "en" },
      { start: 2, end: 3, label: "后", list: "zh" },
    ]);
    // An allow term with a Chinese character would be folded in the shared pass, and would then
    // cover "x" in "x皇後": so the English list keeps its own pass and is flagged as before.
    const own = createKeywordMatcher({ lists: [{ name: "en", terms: ["x"] }, folded(["后"])], allow: ["x皇后"] });
    // (For the folded list, the folded allow term covers 後 there.)
    expect(spans(own.find("x皇後"))).toEqual([{ start: 0, end: 1, label: "x", list: "en" }]);
    expect(own.find("x皇后")).toEqual([]);
  });

  it("folds allow terms for the folded lists", () => {
    const m = createKeywordMatcher({ lists: [folded(["后"])], allow: ["皇后"] });
    expect(m.find("皇後駕到")).toEqual([]);
    expect(m.find("然後呢").map((f) => f.label)).toEqual(["后"]);
  });

  it("has the documented false positives of one-to-many characters, and the allow-list fixes them", () => {
    // 发 stands for both 發 (send) and 髮 (hair); 干 for 乾 (dry), 幹 (do; a swear word) and 干 itself.
    const m = createKeywordMatcher({ lists: [folded(["发廊", "幹"])] });
    expect(m.find("髮廊").map((f) => f.label)).toEqual(["发廊"]);
    expect(m.find("發廊").map((f) => f.label)).toEqual(["发廊"]);
    for (const text of ["乾淨", "餅乾", "干涉", "幹部"]) expect(m.find(text).map((f) => f.label)).toEqual(["幹"]);
    const allowed = createKeywordMatcher({ lists: [folded(["幹"])], allow: ["乾淨"] });
    expect(allowed.find("干净")).toEqual([]);
    expect(allowed.find("幹").map((f) => f.label)).toEqual(["幹"]);
  });

  it("reports the fold in the stats and counts terms over both matchers", () => {
    const m = createKeywordMatcher({
      lists: [folded(["共产党", "\u200B"]), { name: "plain", terms: ["foo"] }],
      allow: ["bar", "\u200D"],
    });
    expect(m.stats.terms).toBe(2);
    expect(m.stats.allowTerms).toBe(1);
    expect(m.stats.skipped).toBe(2);
    expect(m.stats.lists).toEqual([
      { name: "zh", terms: 1, skipped: 1, match: "word", folds: ["chinese"], category: "other" },
      { name: "plain", terms: 1, skipped: 0, match: "word", category: "other" },
    ]);
    expect(m.stats.bytes).toBeGreaterThan(chineseFoldTable().bytes);
  });
});

describe("the fold table", () => {
  const pairs = (dict: string) => dict.split("|").map((entry) => entry.split(" ") as [string, string]);

  it("folds both sides of every same-length pair of OpenCC's character tables to one key", () => {
    const misses: string[] = [];
    let checked = 0;
    for (const [a, b] of [...pairs(TSCharacters), ...pairs(STCharacters)]) {
      if (a.length !== b.length || a.normalize("NFKC") !== a || b.normalize("NFKC") !== b) continue;
      checked++;
      if (foldChinese(a) !== foldChinese(b)) misses.push(`${a}/${b}`);
    }
    expect(misses).toEqual([]);
    expect(checked).toBeGreaterThan(6000);
  });

  it("maps only Han characters to Han characters of the same UTF-16 length, and is idempotent", () => {
    const table = chineseFoldTable();
    const han = /^\p{scx=Han}$/u;
    for (let c = 0; c < 0x10000; c++) {
      const f = table.bmp[c]!;
      if (f === 0) continue;
      expect(han.test(String.fromCharCode(c)) && han.test(String.fromCharCode(f))).toBe(true);
      expect(table.bmp[f]).toBe(f);
    }
    for (const [cp, key] of table.astral) {
      expect(cp > 0xffff && key > 0xffff && han.test(String.fromCodePoint(key))).toBe(true);
      expect(table.astral.get(key)).toBe(key);
    }
  });
});

describe("folded spans: property", () => {
  const table = chineseFoldTable();
  // Characters with a counterpart (both sides), plus some without one.
  const mappedChars: string[] = [];
  for (let c = 0x3400; c < 0x10000 && mappedChars.length < 400; c += 7) {
    if (table.bmp[c] !== 0) mappedChars.push(String.fromCharCode(c), String.fromCharCode(table.bmp[c]!));
  }
  for (const [cp, key] of [...table.astral].slice(0, 20)) mappedChars.push(String.fromCodePoint(cp, key));
  const hanChar = fc.oneof(fc.constantFrom(...mappedChars), fc.constantFrom("的", "是", "我", "你", "人", "们", "一"));
  const noise = fc.constantFrom(" ", "，", "a", "Ｂ", "\u200B", "\uFE0F", "😀", "\u0301", "-", "\uD800", "ﬁ", "x");
  const textArb = fc.array(fc.oneof({ weight: 3, arbitrary: hanChar }, { weight: 2, arbitrary: noise }), {
    maxLength: 40,
  });
  const termArb = fc.array(hanChar, { minLength: 1, maxLength: 3 }).map((cs) => cs.join(""));

  /** Every occurrence of each folded term in the folded text, mapped to the original: the reference. */
  function reference(text: string, terms: string[]): Array<{ start: number; end: number; label: string }> {
    const buffer = new NormalizedBuffer();
    normalizeInto(text, buffer);
    const plain = buffer.toString();
    const foldedText = foldChinese(plain);
    const out: Array<{ start: number; end: number; label: string }> = [];
    for (const term of new Set(terms)) {
      const t = foldChinese(normalizeForMatching(term));
      for (let at = foldedText.indexOf(t); at !== -1; at = foldedText.indexOf(t, at + 1)) {
        out.push({ start: buffer.originalStart(at), end: buffer.originalEnd(at + t.length - 1), label: term });
      }
    }
    out.sort((a, b) => a.start - b.start || b.end - a.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
    return out.filter(
      (f, i) =>
        i === 0 || !(out[i - 1]!.start === f.start && out[i - 1]!.end === f.end && out[i - 1]!.label === f.label),
    );
  }

  it(
    "finds exactly the folded occurrences on valid original ranges, and leaves other lists unchanged",
    () => {
      fc.assert(
        fc.property(
          textArb,
          fc.array(termArb, { minLength: 1, maxLength: 6 }),
          // Lists without the fold: with Han characters (a matcher of their own) or only Latin
          // ones (they join the folded matcher).
          fc.oneof(
            fc.array(termArb, { maxLength: 6 }),
            fc.array(fc.constantFrom("a", "ax", "fi", "x a", "b"), { maxLength: 4 }),
          ),
          fc.boolean(),
          (parts, foldedTerms, plainTerms, separators) => {
            const text = parts.join("");
            const plainList: KeywordListInput = { name: "plain", terms: plainTerms };
            const both = createKeywordMatcher({ lists: [plainList, folded(foldedTerms)], separators });
            const found = both.find(text);
            for (const f of found) {
              expect(f.start).toBeGreaterThanOrEqual(0);
              expect(f.end).toBeLessThanOrEqual(text.length);
              expect(f.start).toBeLessThan(f.end);
              const low = (i: number) =>
                i > 0 && /[\uDC00-\uDFFF]/.test(text[i]!) && /[\uD800-\uDBFF]/.test(text[i - 1]!);
              expect(low(f.start) || low(f.end)).toBe(false);
            }
            // The plain list's findings are those of a matcher without any folded list.
            const plainOnly = createKeywordMatcher({ lists: [plainList], separators });
            const fromPlain = plainOnly.find(text);
            expect(found.filter((f) => f.list === "plain")).toEqual(fromPlain);
            // The folded list's are the reference's, less those the plain list reported already
            // (the same span and term is reported once, as within one matcher).
            const key = (f: { start: number; end: number; label: string }) => `${f.start}:${f.end}:${f.label}`;
            const plainKeys = new Set(fromPlain.map(key));
            const expected = reference(text, foldedTerms).filter((f) => !plainKeys.has(key(f)));
            const fromFolded = found
              .filter((f) => f.list === "zh")
              .map(({ start, end, label }) => ({ start, end, label }));
            if (!separators) expect(fromFolded).toEqual(expected);
            else for (const f of expected) expect(fromFolded).toContainEqual(f);
          },
        ),
        propertySettings("folded keyword spans", { runs: 200 }),
      );
    },
    propertyTimeout(30_000, 200),
  );
});
