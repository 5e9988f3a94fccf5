import { describe, expect, it } from "vitest";
import { maskSpans } from "../mask.ts";
import { createKeywordMatcher, type KeywordMatcherOptions } from "./matcher.ts";
import { parseKeywordList } from "./parse.ts";
import { generateTerms } from "@dify-ext/test-support/random";

const matcher = (terms: string[], options: Omit<KeywordMatcherOptions, "lists"> = {}) =>
  createKeywordMatcher({ lists: [{ name: "test", terms }], ...options });

/** The original characters each finding covers. */
const hits = (m: ReturnType<typeof matcher>, text: string) => m.find(text).map((f) => text.slice(f.start, f.end));

describe("createKeywordMatcher: normalisation", () => {
  it("ignores case, both in terms and text", () => {
    const m = matcher(["Fuck"]);
    expect(hits(m, "FUCK this, fuck that, FuCk")).toEqual(["FUCK", "fuck", "FuCk"]);
    expect(m.find("FUCK")[0]!.label).toBe("Fuck");
  });

  it("folds full-width letters (NFKC) and full case folds", () => {
    const m = matcher(["fuck", "strasse", "σοφιασ"]);
    expect(hits(m, "ｆｕｃｋ ＦＵＣＫ")).toEqual(["ｆｕｃｋ", "ＦＵＣＫ"]);
    expect(hits(m, "STRAẞE Straße")).toEqual(["STRAẞE", "Straße"]);
    // Capital sigma, final sigma and medial sigma all fold to the same letter.
    const greek = "ΣΟΦΙΑΣ σοφιας";
    expect(hits(m, greek)).toEqual(["ΣΟΦΙΑΣ", "σοφιας"]);
  });

  it("ignores zero-width and format characters inside a term", () => {
    const m = matcher(["fuck"]);
    const text = "so f\u200Buc\u00ADk\u2060 it";
    expect(hits(m, text)).toEqual(["f\u200Buc\u00ADk"]);
    expect(hits(matcher(["f\u200Buck"]), "fuck")).toEqual(["fuck"]);
  });

  it("composes base letters with combining marks", () => {
    const m = matcher(["café"]);
    expect(hits(m, "un cafe\u0301 noir")).toEqual(["cafe\u0301"]);
    expect(hits(m, "un cafe noir")).toEqual([]);
  });

  it("maps spans back to the original text after expansions and removals", () => {
    const m = matcher(["fish", "kg"], { match: "substring" });
    // ﬁ (one char) normalises to "fi"; ｓ is full-width; a zero-width space and a soft hyphen inside.
    const text = "\u200B㎏ ＡＢ\uFB01\u200B\uFF53\u00ADh!";
    const found = m.find(text);
    expect(found.map((f) => [f.label, text.slice(f.start, f.end)])).toEqual([
      ["kg", "㎏"],
      ["fish", "\uFB01\u200B\uFF53\u00ADh"],
    ]);
  });

  it("covers a whole original character when a match covers part of its expansion", () => {
    const m = matcher(["ish"], { match: "substring" });
    const text = "\uFB01sh";
    expect(hits(m, text)).toEqual(["\uFB01sh"]);
  });

  it("never splits surrogate pairs around matches", () => {
    const m = matcher(["cat", "猫"]);
    const text = "😀cat😀 👩‍👩‍👧猫🐈\uFE0F";
    const found = m.find(text);
    expect(found.map((f) => text.slice(f.start, f.end))).toEqual(["cat", "猫"]);
    for (const f of found) {
      expect(text.charCodeAt(f.start) & 0xfc00).not.toBe(0xdc00);
      expect(text.charCodeAt(f.end - 1) & 0xfc00).not.toBe(0xd800);
    }
  });
});

describe("createKeywordMatcher: normalisation applies to sequences", () => {
  it("matches half-width katakana written with separate (semi-)voiced marks, both ways", () => {
    expect(hits(matcher(["バカ"]), "おまえはﾊﾞｶだ")).toEqual(["ﾊﾞｶ"]);
    expect(hits(matcher(["チンポ"]), "ﾁﾝﾎﾟ!")).toEqual(["ﾁﾝﾎﾟ"]);
    expect(hits(matcher(["ﾊﾞｶ"]), "おまえはバカだ")).toEqual(["バカ"]);
    // The mark is part of its letter: the span never ends between them, so masking hides both.
    expect(hits(matcher(["ハ"]), "ﾊﾞｶ")).toEqual([]);
    const text = "ﾊﾞｶ";
    expect(maskSpans(text, matcher(["バカ"]).find(text))).toBe("***");
  });

  it("matches every half-width voiced katakana against the full-width letter", () => {
    const misses: string[] = [];
    for (let base = 0xff66; base <= 0xff9d; base++) {
      for (const mark of ["\uFF9E", "\uFF9F"]) {
        const halfWidth = String.fromCharCode(base) + mark;
        const fullWidth = halfWidth.normalize("NFKC");
        if (fullWidth.length !== 1) continue; // no composed letter (ｱﾞ): nothing to compare
        const m = matcher([fullWidth]);
        if (hits(m, `x${halfWidth}y`).join() !== halfWidth) misses.push(`${fullWidth} in ${halfWidth}`);
      }
    }
    expect(misses).toEqual([]);
  });

  it("matches Hangul written as compatibility or conjoining jamo", () => {
    const m = matcher(["시바"]);
    expect(hits(m, "ㅅㅣㅂㅏ 놈아")).toEqual(["ㅅㅣㅂㅏ"]);
    expect(hits(m, "\u1109\u1175\u1107\u1161")).toEqual(["\u1109\u1175\u1107\u1161"]);
    expect(hits(matcher(["ㅅㅣㅂㅏ"]), "시바")).toEqual(["시바"]);
    // A final consonant written as a jamo belongs to the syllable: 신 is not 시.
    expect(hits(m, "\u1109\u1175\u11AB\u1107\u1161")).toEqual([]);
  });

  it("composes a letter and its accent across invisible characters between them", () => {
    const m = matcher(["café"]);
    for (const invisible of ["\u00AD", "\u200B", "\u200D", "\u2060", "\uFEFF", "\u034F", "\u202E"]) {
      const text = `un cafe${invisible}\u0301 noir`;
      expect(hits(m, text)).toEqual([`cafe${invisible}\u0301`]);
    }
  });

  it("keeps Turkish dotless ı a letter of its own (full case folding)", () => {
    expect(hits(matcher(["sik"]), "sık sık gelirim")).toEqual([]);
    expect(hits(matcher(["sik"]), "SIK sik")).toEqual(["SIK", "sik"]);
    expect(hits(matcher(["sık"]), "SıK sik")).toEqual(["SıK"]);
    // İ folds to i + combining dot above, which is not plain i either.
    expect(hits(matcher(["sik"]), "SİK")).toEqual([]);
  });

  it("treats a lone surrogate as a symbol, never as half of a character", () => {
    const m = matcher(["fuck", "\uD83D", "\uDE00"], { match: "substring" });
    expect(hits(m, "\u{1F600} fuck\uD83D")).toEqual(["fuck", "\uD83D"]);
  });
});

describe("createKeywordMatcher: word and substring matching", () => {
  it("matches spaced-script terms as whole words by default", () => {
    const m = matcher(["ass"]);
    expect(hits(m, "class assignment passes")).toEqual([]);
    expect(hits(m, "ass, ass! (ass) ASS")).toEqual(["ass", "ass", "ass", "ASS"]);
    expect(hits(m, "你是ass吧")).toEqual(["ass"]);
    expect(hits(m, "ass2")).toEqual([]);
  });

  it("applies whole-word matching to Cyrillic and Greek too", () => {
    const m = matcher(["хуй", "μαλάκα"]);
    expect(hits(m, "ХУЙ и хуйня")).toEqual(["ХУЙ"]);
    expect(hits(m, "ΜΑΛΆΚΑ!")).toEqual(["ΜΑΛΆΚΑ"]);
  });

  it("matches CJK and Thai terms anywhere", () => {
    expect(hits(matcher(["傻逼"]), "你是个傻逼吧")).toEqual(["傻逼"]);
    expect(hits(matcher(["バカ"]), "おまえはバカだ")).toEqual(["バカ"]);
    expect(hits(matcher(["시발"]), "시발놈아")).toEqual(["시발"]);
    expect(hits(matcher(["ควย"]), "ไอ้ควยเอ๊ย")).toEqual(["ควย"]);
  });

  it("matches anywhere in substring mode (engine option)", () => {
    expect(hits(matcher(["ass"], { match: "substring" }), "class ass")).toEqual(["ass", "ass"]);
  });

  it("lets a list directive override the engine option", () => {
    const m = createKeywordMatcher({
      lists: [parseKeywordList("# match: substring\nass", "loose"), parseKeywordList("tit", "strict")],
      match: "word",
    });
    expect(hits(m, "class title tit")).toEqual(["ass", "tit"]);
    const strict = createKeywordMatcher({ lists: [parseKeywordList("# match: word\nass", "w")], match: "substring" });
    expect(hits(strict, "class ass")).toEqual(["ass"]);
  });

  it("treats symbol edges as their own boundary (terms mixing symbols and digits)", () => {
    const m = matcher(["$hit", "f*ck", "88"]);
    expect(hits(m, "a$hit f*ck 1988 88")).toEqual(["$hit", "f*ck", "88"]);
    expect(hits(m, "f*cking")).toEqual([]);
  });

  it("reports overlapping matches of different terms, enclosing match first", () => {
    const m = matcher(["ass", "asshole", "hole"], { match: "substring" });
    const found = m.find("asshole");
    expect(found.map((f) => [f.label, f.start, f.end])).toEqual([
      ["asshole", 0, 7],
      ["ass", 0, 3],
      ["hole", 3, 7],
    ]);
  });

  it("reports a span and label once even when listed twice", () => {
    const m = createKeywordMatcher({
      lists: [
        { name: "a", terms: ["bad", "bad"] },
        { name: "b", terms: ["bad"] },
      ],
    });
    expect(m.find("bad").length).toBe(1);
  });
});

describe("createKeywordMatcher: allow-list", () => {
  it("drops blocked matches lying inside an allowed term", () => {
    const m = matcher(["cunt"], { match: "substring", allow: ["Scunthorpe"] });
    expect(hits(m, "SCUNTHORPE United")).toEqual([]);
    expect(hits(m, "Scunthorpe, you cunt")).toEqual(["cunt"]);
  });

  it("matches allow terms after the same normalisation", () => {
    const m = matcher(["cunt"], { match: "substring", allow: ["scunthorpe"] });
    expect(hits(m, "ＳＣＵＮ\u200BＴＨＯＲＰＥ")).toEqual([]);
  });

  it("keeps a match that only partly overlaps an allowed term", () => {
    const m = matcher(["ass"], { match: "substring", allow: ["class"] });
    expect(hits(m, "classs")).toEqual([]);
    expect(hits(m, "clasass")).toEqual(["ass"]);
  });
});

describe("createKeywordMatcher: separators option", () => {
  const m = matcher(["fuck", "ass", "傻逼"], { separators: true });

  it("is off by default", () => {
    expect(hits(matcher(["fuck"]), "f u c k, f.u.c.k")).toEqual([]);
  });

  it("catches terms spelled with separators between letters", () => {
    expect(hits(m, "f u c k")).toEqual(["f u c k"]);
    expect(hits(m, "oh f.u.c.k!")).toEqual(["f.u.c.k"]);
    expect(hits(m, "f-u-c-k")).toEqual(["f-u-c-k"]);
    expect(hits(m, "f  u  c  k")).toEqual(["f  u  c  k"]);
    expect(hits(m, "你这个傻 逼")).toEqual(["傻 逼"]);
    expect(hits(m, "a s s")).toEqual(["a s s"]);
  });

  it("still requires word boundaries for word-mode terms", () => {
    expect(hits(m, "class assignment")).toEqual([]);
    expect(hits(m, "grass s")).toEqual([]);
  });

  it("never makes a term's own characters optional", () => {
    const own = matcher(["$hit", "a$$", "sh!t", "son of a bitch"], { separators: true });
    expect(hits(own, "I hit the ball")).toEqual([]);
    expect(hits(own, "a b a, a.")).toEqual([]);
    expect(hits(own, "a$ a $")).toEqual([]);
    expect(hits(own, "sht")).toEqual([]);
    expect(hits(own, "sht, x.y")).toEqual([]);
    expect(hits(own, "sonofabitch!")).toEqual([]);
  });

  it("catches terms with their own separators, with more separators around theirs", () => {
    const own = matcher(["$hit", "a$$", "sh!t", "son of a bitch"], { separators: true });
    expect(hits(own, "$hit, $ h i t, $.hit")).toEqual(["$hit", "$ h i t", "$.hit"]);
    expect(hits(own, "a$$ and a $ $")).toEqual(["a$$", "a $ $"]);
    expect(hits(own, "sh!t s h ! t s.h.!.t")).toEqual(["sh!t", "s h ! t", "s.h.!.t"]);
    expect(hits(own, "s o n  o f a b-i-t-c-h")).toEqual(["s o n  o f a b-i-t-c-h"]);
    // A symbol at the end of a term is its own boundary, as without separators.
    expect(hits(own, "a$hit")).toEqual(["$hit"]);
  });

  it("has known false positives (documented trade-off)", () => {
    // Single letters next to each other spell the term.
    expect(hits(m, "Grades: A, S, S")).toEqual(["A, S, S"]);
    // CJK terms across punctuation: 傻 ends a clause, 逼 starts the next (逼着 = "forcing").
    expect(hits(m, "他真傻，逼着自己加班")).toEqual(["傻，逼"]);
  });
});

describe("createKeywordMatcher: lists and stats", () => {
  it("skips terms that normalise to nothing and reports counts", () => {
    const m = createKeywordMatcher({ lists: [{ name: "x", terms: ["a", "\u200B", "b", "a"] }], allow: ["ok"] });
    expect(m.stats.terms).toBe(3);
    expect(m.stats.skipped).toBe(1);
    expect(m.stats.allowTerms).toBe(1);
    expect(m.stats.lists).toEqual([{ name: "x", terms: 3, skipped: 1, match: "word", category: "other" }]);
    expect(Object.isFrozen(m)).toBe(true);
  });

  it("rejects an invalid match mode", () => {
    expect(() => matcher(["a"], { match: "fuzzy" as "word" })).toThrow(/match must be "word" or "substring"/);
  });

  it("loads and matches a 100,000-term generated list", () => {
    const terms = generateTerms(100_000);
    const m = createKeywordMatcher({ lists: [{ name: "big", terms }] });
    expect(m.stats.patterns).toBe(100_000);
    const latin = terms.filter((t) => /^[a-z]+$/.test(t));
    const cjk = terms.filter((t) => !/^[a-z]/.test(t));
    const probe = [latin[0]!, latin[50_000]!, latin.at(-1)!, cjk[0]!, cjk.at(-1)!];
    const text = `${probe[0]!.toUpperCase()} and ${probe[1]}! x${probe[2]} 你${probe[3]}好${probe[4]}`;
    const labels = m.find(text).map((f) => f.label);
    for (const term of [probe[0]!, probe[1]!, probe[3]!, probe[4]!]) expect(labels).toContain(term);
    // Not a whole word: preceded by "x".
    expect(m.find(`x${probe[2]}`).some((f) => f.label === probe[2])).toBe(false);
  });
});
