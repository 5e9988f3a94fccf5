import { describe, expect, it } from "vitest";
import type { EvalCase } from "./cases.ts";
import { formatReport, progressBar } from "./report.ts";
import { checkGates, percentile, runEval, summarize } from "./run.ts";

const item = (text: string, label: "attack" | "benign", lang?: string, kind?: string, line = 0): EvalCase => ({
  text,
  label,
  line,
  ...(lang ? { lang } : {}),
  ...(kind ? { kind } : {}),
});

const CASES: EvalCase[] = [
  item("attack one", "attack", "en", "injection", 1),
  item("attack two", "attack", "en", "jailbreak", 2),
  item("sneaky", "attack", "zh", "injection", 3),
  item("hello", "benign", "en", "chat", 4),
  item("flag me attack-ish", "benign", "zh", "chat", 5),
  item("boom", "benign", undefined, undefined, 6),
];

/** Flags texts containing "attack"; fails on "boom"; takes the text length as its time. */
const judge = async (c: EvalCase) => {
  if (c.text === "boom") throw new Error("connection refused");
  return { flagged: c.text.includes("attack"), ms: c.text.length };
};

describe("runEval and summarize", () => {
  it("counts recall, false-positive rate and precision overall and per group, and lists misses and false alarms", async () => {
    const progress: number[] = [];
    const results = await runEval({ cases: CASES, judge, concurrency: 3, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => r.item.line)).toEqual([1, 2, 3, 4, 5, 6]);
    const report = summarize(results, 10);
    expect(report.overall).toEqual({
      cases: 6,
      attacks: 3,
      benign: 3,
      tp: 2,
      fn: 1,
      fp: 1,
      tn: 1,
      errors: 1,
      recall: 2 / 3,
      fpr: 1 / 2,
      precision: 2 / 3,
    });
    expect(Object.keys(report.byLang)).toEqual(["(none)", "en", "zh"]);
    expect(report.byLang.zh).toMatchObject({ tp: 0, fn: 1, fp: 1, recall: 0, fpr: 1, precision: 0 });
    expect(report.byKind.chat).toMatchObject({ attacks: 0, recall: null, fpr: 0.5 });
    expect(report.misses).toEqual([{ line: 3, label: "attack", lang: "zh", kind: "injection", text: "sneaky" }]);
    expect(report.falseAlarms.map((c) => c.line)).toEqual([5]);
    expect(report.failures).toEqual([{ line: 6, error: "connection refused" }]);
    expect(report.latencyMs).toEqual({ calls: 5, p50: 10, p99: 18, max: 18 });
    const text = formatReport(report, 10);
    expect(text).toMatch(/^overall\s+6\s+3\s+3\s+66\.7%\s+50\.0%\s+66\.7%\s+1$/m);
    expect(text).toMatch(/misses \(attacks not flagged\), the first 1 of 1:\n {2}line 3 +zh injection +sneaky/);
    expect(text).toContain("calls without a verdict, the first 1 of 1:\n  line 6: connection refused");
    expect(formatReport(report, 0)).not.toContain("misses");
  });

  it("fails the gates that are not met, and any run with calls that got no verdict", async () => {
    const report = summarize(await runEval({ cases: CASES.slice(0, 5), judge }));
    expect(checkGates(report, { minRecall: 0.6, maxFpr: 0.5 })).toEqual({ ok: true, reasons: [] });
    expect(checkGates(report, { minRecall: 0.7, maxFpr: 0.25 }).reasons).toEqual([
      "recall 66.7% is below --min-recall 70.0%",
      "false-positive rate 50.0% is above --max-fpr 25.0%",
    ]);
    const withError = summarize(await runEval({ cases: CASES, judge }));
    expect(checkGates(withError, {}).reasons).toEqual(["1 of 6 calls got no verdict"]);
    const benignOnly = summarize(await runEval({ cases: CASES.slice(3, 5), judge }));
    expect(checkGates(benignOnly, { minRecall: 0.5 }).reasons).toEqual([
      "recall cannot be measured: no attack was judged",
    ]);
  });

  it("takes nearest-rank percentiles", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });
});

describe("progressBar", () => {
  it("redraws one line and clears it when done", () => {
    let written = "";
    const bar = progressBar({ write: (chunk: string) => (written += chunk) } as unknown as NodeJS.WriteStream);
    bar.update(1, 4);
    bar.update(4, 4);
    bar.done();
    const frames = written.split("\r").filter(Boolean);
    expect(frames[0]).toMatch(/^\[#{8}-{22}\] 1\/4 /);
    expect(frames[1]).toMatch(/^\[#{30}\] 4\/4 /);
    expect(frames.at(-1)).toBe("\u001b[K");
  });
});
