import { propertyRuns, propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maskSpans } from "../mask.ts";
import { createPiiEngine } from "./index.ts";

const RUNS = 300;
const engine = createPiiEngine();
const judge = async (text: string) => (await engine.moderate([text], { point: "input" }))[0]!;

/** Pieces the detectors key on, so generated texts keep hitting their edge cases. */
const PIECES = [
  "@",
  ".",
  "-",
  " ",
  ":",
  "::",
  "+",
  "(",
  ")",
  "/",
  "X",
  "_",
  "=",
  "\n",
  "sk-",
  "sk-proj-",
  "AKIA",
  "ghp_",
  "github_pat_",
  "xoxb-",
  "eyJ",
  "eyJhbGciOiJIUzI1NiJ9",
  "-----BEGIN ",
  "PRIVATE KEY-----",
  "-----END ",
  "DE89",
  "4111",
  "1111",
  "138",
  "0013",
  "8000",
  "+86",
  "+44",
  "192.168.",
  "fe80",
  "a",
  "Z",
  "com",
  "😀",
  "邮",
  "\uD800",
  "\u200b",
  "\u00ad",
  "\u00a0",
  "\u2013",
  "＠",
  "ａ",
  "．",
  "de89",
  "gb82west",
];
const piece = fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 }), fc.stringMatching(/^\d{1,5}$/));
const hostileText = fc.array(piece, { maxLength: 60 }).map((parts) => parts.join(""));

/**
 * Long texts that make careless patterns backtrack (nested or overlapping repetitions, a prefix
 * repeated without the rest, a run that almost matches). Every detector is linear, so each of these
 * 200,000-character texts is judged in milliseconds; a quadratic or exponential pattern would not
 * finish within the test's timeout.
 */
const N = 200_000;
const repeatTo = (unit: string) => unit.repeat(Math.ceil(N / unit.length)).slice(0, N);
const ADVERSARIAL: Array<[string, string]> = [
  ["digits", repeatTo("4")],
  ["digits and spaces", repeatTo("1 ")],
  ["digits and hyphens", repeatTo("41-")],
  ["digit groups of four", repeatTo("4111 ")],
  ["dotted digits", repeatTo("1.")],
  ["dotted quads run together", repeatTo("1.2.3.4.")],
  ["colons", repeatTo(":")],
  ["hex and colons", repeatTo("1:")],
  ["hex groups and double colons", repeatTo("fe80::")],
  ["at signs", repeatTo("@")],
  ["local parts", repeatTo("a@")],
  ["domains", repeatTo("@a.")],
  ["long local part", `${repeatTo("a").slice(0, N - 20)}@example.com`],
  ["long domain", `a@${repeatTo("a.").slice(0, N - 10)}com`],
  ["invisible characters and at signs", repeatTo("a\u200b@")],
  ["a long local part of invisible characters", `${repeatTo("a\u200b").slice(0, N - 20)}@example.com`],
  ["a long domain of invisible characters", `a@${repeatTo("\u200ba.").slice(0, N - 10)}com`],
  ["full-width local parts", repeatTo("ａ＠")],
  ["full-width domains", repeatTo("＠ａ．")],
  ["lower-case IBAN starts", repeatTo("de00 ")],
  ["card groups with en dashes", repeatTo("4111\u2013")],
  ["card groups with no-break spaces", repeatTo("4111\u00a0")],
  ["sk- prefixes", repeatTo("sk-")],
  ["sk- with a long body", `sk-${repeatTo("aB1")}`],
  ["eyJ prefixes", repeatTo("eyJ")],
  ["eyJ parts", repeatTo("eyJa.")],
  ["JWT-shaped with a bad header", repeatTo("eyJhbGci.e.x ")],
  ["BEGIN lines without END", repeatTo("-----BEGIN PRIVATE KEY-----\n")],
  ["BEGIN words", repeatTo("-----BEGIN A B C D ")],
  ["END lines", repeatTo("-----END ")],
  ["AKIA prefixes", repeatTo("AKIA")],
  ["ghp_ prefixes", repeatTo("ghp_")],
  ["github_pat_ with a long body", `github_pat_${repeatTo("a_")}`],
  ["xoxb- prefixes", repeatTo("xoxb-")],
  ["IBAN starts", repeatTo("DE00")],
  ["IBAN starts with spaces", repeatTo("DE00 ")],
  ["phone punctuation", repeatTo("(1) ")],
  ["plus signs and digits", repeatTo("+1")],
  ["China mobile prefixes", repeatTo("+86 138 ")],
  ["China ID-like", repeatTo("11010519491231002X")],
  ["SSN-like", repeatTo("123-45-")],
];

describe("the pii engine on hostile text", () => {
  it.each(ADVERSARIAL)("judges 200,000 characters of %s in linear time", async (_, text) => {
    const verdict = await judge(text);
    for (const finding of verdict.findings) {
      expect(finding.start).toBeGreaterThanOrEqual(0);
      expect(finding.end).toBeLessThanOrEqual(text.length);
    }
  });

  it(
    `reports sorted, disjoint spans inside the text, and a label mask leaves nothing of them (${propertyRuns(RUNS)} texts)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(hostileText, async (text) => {
          const verdict = await judge(text);
          expect(verdict.flagged).toBe(verdict.findings.length > 0);
          let last = 0;
          for (const finding of verdict.findings) {
            expect(finding.start).toBeGreaterThanOrEqual(last);
            expect(finding.end).toBeGreaterThan(finding.start);
            expect(finding.end).toBeLessThanOrEqual(text.length);
            expect(finding.replacement).toMatch(/^\[[A-Z_]+\]$/);
            last = finding.end;
          }
          // Masking keeps every character outside the findings, in order, and replaces each finding.
          const masked = maskSpans(text, verdict.findings);
          let expected = "";
          let cursor = 0;
          for (const finding of verdict.findings) {
            expected += text.slice(cursor, finding.start) + finding.replacement;
            cursor = finding.end;
          }
          expect(masked).toBe(expected + text.slice(cursor));
        }),
        propertySettings("pii engine spans", { runs: RUNS }),
      );
    },
    propertyTimeout(60_000, RUNS),
  );
});
