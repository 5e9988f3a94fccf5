import { describe, expect, it } from "vitest";
import { KeywordListError, parseKeywordList } from "./parse.ts";

describe("parseKeywordList", () => {
  it("reads one term per line, skipping comments and blank lines, trimming whitespace", () => {
    const list = parseKeywordList("# a comment\n\n  foo  \n   # indented comment\nbar baz\n\t\nfoo\n", "demo");
    expect(list).toEqual({ name: "demo", terms: ["foo", "bar baz", "foo"], skipped: 0 });
  });

  it("accepts CRLF and a BOM", () => {
    const list = parseKeywordList("\uFEFFalpha\r\nbeta\r\n\r\n# c\r\ngamma", "crlf");
    expect(list.terms).toEqual(["alpha", "beta", "gamma"]);
  });

  it("reads the match directive", () => {
    expect(parseKeywordList("# match: substring\nfoo", "a").match).toBe("substring");
    expect(parseKeywordList("#MATCH:Word\nfoo", "b").match).toBe("word");
    expect(parseKeywordList("foo", "c").match).toBeUndefined();
  });

  it("reads the category directive, in any case, and refuses a category outside the vocabulary", () => {
    expect(parseKeywordList("# category: Hate\nfoo", "h").category).toBe("hate");
    expect(parseKeywordList("#category:custom.competitors\nacme", "c").category).toBe("custom.competitors");
    expect(parseKeywordList("foo", "none").category).toBeUndefined();
    expect(() => parseKeywordList("foo\n# category: gore", "g")).toThrow(
      /^keyword list "g", line 2: # category: unknown category "gore"; expected a category of docs\/categories.md/,
    );
    expect(() => parseKeywordList("# category: custom.Bad Name", "g")).toThrow(/not a usable custom category/);
    expect(() => parseKeywordList("# category: hate\n# category: violence", "g")).toThrow(
      /line 2: conflicting category directive "violence" \(the list already says "hate"\)/,
    );
  });

  it("rejects an unknown or conflicting directive, naming list and line", () => {
    expect(() => parseKeywordList("foo\n# match: fuzzy", "bad")).toThrow(
      'keyword list "bad", line 2: unknown match mode "fuzzy"',
    );
    expect(() => parseKeywordList("# match: word\n# match: substring", "two")).toThrow(KeywordListError);
  });

  it("skips terms that normalise to nothing and counts them", () => {
    const list = parseKeywordList("ok\n\u200B\u200D\n\uFE0F\nfine", "inv");
    expect(list.terms).toEqual(["ok", "fine"]);
    expect(list.skipped).toBe(2);
  });

  it("reads a leading \\# as a literal #", () => {
    expect(parseKeywordList("\\#hashtag", "h").terms).toEqual(["#hashtag"]);
  });
});
