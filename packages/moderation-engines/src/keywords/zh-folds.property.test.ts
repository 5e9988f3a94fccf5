import { propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKeywordMatcher, type KeywordFinding } from "./matcher.ts";
import { FOLD_NAMES } from "./parse.ts";
import { loadChineseReadings } from "./readings.ts";
import { CHINESE_DIGITS } from "./zh-folds.ts";

await loadChineseReadings();

// Characters of the terms: polyphonic ones, homophones of each other, Traditional forms, numerals,
// components that compose a character (氵去 法, 女子 好, 车仑 轮), radical forms.
const HAN = [..."法发輪轮论功攻工力氵去⺡车仑赌读博长城重虫中庆市乐月亮湾妈麻好女子人一二三壹贰叁幺〇发展的是了"];
// What texts are made of besides those: pinyin of the characters, separators and noise.
const LATIN = ["fa", "lun", "gong", "du", "bo", "chang", "zhang", "cheng", "chong", "zhong", "ma", "flg", "Fa", "LUN"];
const NOISE = [" ", "-", "'", "，", "a", "x", "1", "2", "3", "Ｂ", "\u200B", "\uFE0F", "😀", "\uD800", "\u0301"];

const termArb = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...HAN), { minLength: 1, maxLength: 4 }).map((cs) => cs.join("")) },
  { weight: 1, arbitrary: fc.constantFrom("123", "110", "12", "flg", "god") },
);
const textArb = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...HAN) },
      { weight: 2, arbitrary: fc.constantFrom(...LATIN) },
      { weight: 2, arbitrary: fc.constantFrom(...NOISE) },
    ),
    { maxLength: 30 },
  )
  // Repeat some pieces, as `repeats` reads them.
  .chain((parts) =>
    fc
      .array(fc.nat(2), { minLength: parts.length, maxLength: parts.length })
      .map((times) => parts.map((part, i) => part.repeat(1 + times[i]!)).join("")),
  );

const isLowSurrogateAt = (text: string, i: number) =>
  i > 0 && i < text.length && /[\uDC00-\uDFFF]/.test(text[i]!) && /[\uD800-\uDBFF]/.test(text[i - 1]!);
const digitish = (ch: string | undefined) => ch !== undefined && (/^[0-9０-９]$/.test(ch) || ch in CHINESE_DIGITS);

describe("Chinese folds: property", () => {
  it(
    "spans are whole characters of the text and cover exactly a match; every plain match is still found",
    () => {
      fc.assert(
        fc.property(
          textArb,
          fc.array(termArb, { minLength: 1, maxLength: 6 }),
          fc.boolean(),
          (text, terms, separators) => {
            const plain = createKeywordMatcher({ lists: [{ name: "zh", terms }], separators });
            const folded = createKeywordMatcher({ lists: [{ name: "zh", terms, folds: [...FOLD_NAMES] }], separators });
            const found = folded.find(text);
            for (const f of found) {
              expect(f.start).toBeGreaterThanOrEqual(0);
              expect(f.end).toBeLessThanOrEqual(text.length);
              expect(f.start).toBeLessThan(f.end);
              expect(isLowSurrogateAt(text, f.start) || isLowSurrogateAt(text, f.end)).toBe(false);
              // The span holds the match and nothing else: judged alone, it is found whole.
              const alone = folded.find(text.slice(f.start, f.end));
              expect(alone).toContainEqual(expect.objectContaining({ start: 0, end: f.end - f.start, label: f.label }));
            }
            // Every match of the list without folds is covered by a finding of the same term (or of a
            // term the folds make equal to it: such terms count once, named by the first). The one
            // documented exception: with numerals a digit next to a Chinese numeral is one number.
            const same = (label: string, term: string) =>
              label === term ||
              folded.find(term).some((f) => f.label === label && f.start === 0 && f.end === term.length);
            const covers = (p: KeywordFinding) =>
              found.some((f) => f.start <= p.start && p.end <= f.end && same(f.label, p.label));
            for (const p of plain.find(text)) {
              const chars = Array.from(text.slice(p.start, p.end));
              const before = Array.from(text.slice(0, p.start)).pop();
              const after = Array.from(text.slice(p.end))[0];
              if ((digitish(chars[0]) && digitish(before)) || (digitish(chars.at(-1)) && digitish(after))) continue;
              expect(covers(p), `${JSON.stringify(p)} in ${JSON.stringify(text)}`).toBe(true);
            }
            // Scratch buffers are reused: the same text gives the same findings after another one.
            folded.find(`${text}法轮功fa lun gong`);
            expect(folded.find(text)).toEqual(found);
          },
        ),
        propertySettings("chinese folds spans", { runs: 300 }),
      );
    },
    propertyTimeout(60_000, 300),
  );
});
