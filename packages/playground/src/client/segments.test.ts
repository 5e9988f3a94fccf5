import { describe, expect, it } from "vitest";
import type { ExplainFinding } from "../report.ts";
import { segmentsOf } from "./segments.ts";

const finding = (start: number, end: number, label: string): ExplainFinding => ({
  start,
  end,
  engine: "keywords",
  label,
  category: "other",
  action: "block",
  categories: [],
});

describe("segmentsOf", () => {
  it("cuts a text at every finding's edges and says which findings cover and end each piece", () => {
    const outer = finding(2, 8, "outer");
    const inner = finding(4, 6, "inner");
    const segments = segmentsOf(10, [outer, inner]);
    expect(segments.map((s) => [s.start, s.end, s.findings.map((f) => f.label), s.ending.map((f) => f.label)])).toEqual(
      [
        [0, 2, [], []],
        [2, 4, ["outer"], []],
        [4, 6, ["outer", "inner"], ["inner"]],
        [6, 8, ["outer"], ["outer"]],
        [8, 10, [], []],
      ],
    );
  });

  it("covers the whole text once, and clamps spans that overrun it", () => {
    const segments = segmentsOf(5, [finding(3, 9, "over"), finding(-2, 1, "under")]);
    expect(segments.map((s) => [s.start, s.end])).toEqual([
      [0, 1],
      [1, 3],
      [3, 5],
    ]);
    expect(segments[2]!.ending.map((f) => f.label)).toEqual(["over"]);
    expect(segmentsOf(0, [])).toEqual([]);
  });
});
