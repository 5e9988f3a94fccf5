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
});
