import { describe, expect, it } from "vitest";
import { maskSpans, mergeSpans } from "./mask.ts";

describe("maskSpans", () => {
  it("masks only the spans", () => {
    expect(maskSpans("hello world", [{ start: 6, end: 11 }])).toBe("hello *****");
    expect(maskSpans("abc", [])).toBe("abc");
  });

  it("merges overlapping spans and clamps to the text", () => {
    expect(
      mergeSpans(
        [
          { start: 4, end: 8 },
          { start: 0, end: 2 },
          { start: 6, end: 20 },
        ],
        10,
      ),
    ).toEqual([
      { start: 0, end: 2 },
      { start: 4, end: 10 },
    ]);
    expect(
      maskSpans(
        "0123456789",
        [
          { start: -3, end: 2 },
          { start: 8, end: 99 },
        ],
        "#",
      ),
    ).toBe("##234567##");
  });

  it("masks an emoji as one character and never splits a surrogate pair", () => {
    expect(maskSpans("a😀b", [{ start: 1, end: 3 }])).toBe("a*b");
    expect(maskSpans("a😀b", [{ start: 2, end: 3 }])).toBe("a*b");
    expect(maskSpans("a😀b", [{ start: 1, end: 2 }])).toBe("a*b");
  });

  it("writes a labelled span as its label once, so the text can change length", () => {
    expect(maskSpans("mail a@b.de now", [{ start: 5, end: 11, replacement: "[EMAIL]" }])).toBe("mail [EMAIL] now");
    expect(maskSpans("x😀y", [{ start: 1, end: 2, replacement: "[E]" }])).toBe("x[E]y");
    expect(
      maskSpans("ab cd", [
        { start: 0, end: 2, replacement: "[A]" },
        { start: 3, end: 5, replacement: "[B]" },
      ]),
    ).toBe("[A] [B]");
  });

  it("merges overlapping labelled spans into one region carrying each label once", () => {
    expect(
      maskSpans("0123456789", [
        { start: 1, end: 5, replacement: "[A]" },
        { start: 3, end: 7, replacement: "[B]" },
        { start: 4, end: 6, replacement: "[A]" },
      ]),
    ).toBe("0[A][B]789");
    // Touching labelled spans stay two regions.
    expect(
      maskSpans("abcd", [
        { start: 0, end: 2, replacement: "[A]" },
        { start: 2, end: 4, replacement: "[A]" },
      ]),
    ).toBe("[A][A]");
  });

  it("stars the part of a plain span (another engine's) that a label does not cover, and nothing twice", () => {
    const text = "write to bob@example.com please";
    const email = { start: 9, end: 24, replacement: "[EMAIL]" };
    expect(maskSpans(text, [email, { start: 9, end: 12 }])).toBe("write to [EMAIL] please");
    expect(maskSpans(text, [{ start: 21, end: 31 }, email])).toBe("write to [EMAIL]*******");
    expect(maskSpans(text, [{ start: 0, end: 31 }, email])).toBe("*********[EMAIL]*******");
    expect(maskSpans(text, [{ start: 6, end: 11 }, { start: 20, end: 26 }, email], "#")).toBe(
      "write ###[EMAIL]##lease",
    );
  });
});
