/**
 * Streamed answers judged incrementally give exactly the verdict and spans of judging the whole
 * text, for every engine that judges incrementally: random texts (NFKC expansions and
 * contractions, combining marks, invisible characters, surrogates, full-width letters,
 * separators, CJK, repeated letters), random lists and random sequences of cuts (Dify sends the
 * whole answer so far, each call longer than the last).
 */
import { hostileText } from "@dify-ext/test-support/fuzz";
import { propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IncrementalJudgement, ModerationEngine } from "./engine.ts";
import { createKeywordEngine, createKeywordMatcher } from "./keywords/index.ts";
import { createObscenityEngine } from "./obscenity/index.ts";
import { createModerationPolicy } from "./policy.ts";
import { createStreamCache } from "./stream-cache.ts";

const RUNS = 150;
const TIMEOUT_MS = propertyTimeout(120_000, RUNS);

/** Pieces texts and terms are made of: each one stresses normalisation or matching at a cut. */
const ATOMS = [
  "a",
  "b",
  "s",
  "h",
  "i",
  "t",
  "f",
  "u",
  "c",
  "k",
  "o",
  "e",
  "A",
  "S",
  "1",
  "0",
  "$",
  "@",
  " ",
  " ",
  ".",
  "-",
  "\n",
  "ｆ", // full-width letters
  "Ｓ",
  "ﬁ", // NFKC expands
  "㎏",
  "\uFDFA",
  "ǅ",
  "ß",
  "İ",
  "\u0301", // combining marks
  "\u0308",
  "\u0323",
  "\u200B", // invisible
  "\u00AD",
  "\u200D",
  "😀", // surrogates, also broken
  "\uD83D",
  "\uDE00",
  "ﾊ", // half-width katakana and voiced mark (compose)
  "\uFF9F",
  "\u1100", // Hangul jamo (compose)
  "\u1161",
  "傻",
  "逼",
  "日本",
  "語",
  "は",
  "ス",
  "fuck",
  "shit",
  "ass",
  "bitch",
  "uuu",
  "penis",
  "pen is",
  "assess",
  "kung fu",
  "sh1t",
  "Penistone",
  "ｆｕｃｋ",
];

const atom = () => fc.constantFrom(...ATOMS);
const textOf = (maxAtoms: number, size: fc.SizeForArbitrary = "small") =>
  fc.array(atom(), { maxLength: maxAtoms, size }).map((parts) => parts.join(""));

/** A text and the increasing lengths at which Dify sends it (the last is the whole text). */
const streamed = () =>
  textOf(600, "max").chain((text) =>
    fc
      .uniqueArray(fc.integer({ min: 1, max: Math.max(1, text.length) }), { maxLength: 12 })
      .map((cuts) => ({ text, cuts: [...cuts.filter((cut) => cut < text.length).sort((a, b) => a - b), text.length] })),
  );

const keywordLists = () =>
  fc.record({
    terms: fc.array(textOf(4), { minLength: 1, maxLength: 8 }),
    allow: fc.array(textOf(6), { maxLength: 3 }),
    match: fc.constantFrom("word" as const, "substring" as const),
    separators: fc.boolean(),
  });

/** Judges each prefix of the stream by extending the previous judgement; checks every one. */
function checkStream(engine: ModerationEngine, text: string, cuts: readonly number[]): number {
  const incremental = engine.incremental!;
  let prior: IncrementalJudgement | undefined;
  let extended = 0;
  for (const cut of cuts) {
    const prefix = text.slice(0, cut);
    const whole = incremental.judge(prefix);
    let judgement = prior ? incremental.extend(prior, prefix) : undefined;
    // Count extensions that carried findings over or found new ones: the cases that can go wrong.
    if (judgement) extended += whole.verdict.flagged ? 1 : 0;
    judgement ??= whole;
    expect(judgement.verdict, `prefix ${JSON.stringify(prefix)}`).toEqual(whole.verdict);
    prior = judgement;
  }
  return extended;
}

describe("incremental judging of streamed texts equals whole-text judging", () => {
  it(
    "keywords: random texts, lists and cuts",
    async () => {
      let extended = 0;
      await fc.assert(
        fc.asyncProperty(keywordLists(), streamed(), async (lists, { text, cuts }) => {
          const matcher = createKeywordMatcher({
            lists: [{ name: "l", terms: lists.terms, match: lists.match }],
            allow: lists.allow,
            separators: lists.separators,
          });
          const engine = createKeywordEngine({ matcher });
          extended += checkStream(engine, text, cuts);
          // judge() is what moderate() answers.
          const [verdict] = await engine.moderate([text], { point: "output" });
          expect(engine.incremental!.judge(text).verdict).toEqual(verdict);
        }),
        propertySettings("incremental keywords equal whole text", { runs: RUNS }),
      );
      // The property is only worth something if the incremental path actually ran.
      expect(extended).toBeGreaterThan(RUNS / 2);
    },
    TIMEOUT_MS,
  );

  it(
    "obscenity: random texts, extra and allowed terms, and cuts",
    async () => {
      let extended = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            textOf(4).filter((t) => /[a-z0-9]/i.test(t)),
            { maxLength: 3 },
          ),
          fc.array(
            textOf(5).filter((t) => t.trim() !== ""),
            { maxLength: 2 },
          ),
          streamed(),
          async (extraTerms, allowTerms, { text, cuts }) => {
            let engine: ModerationEngine;
            try {
              engine = createObscenityEngine({ extraTerms, allowTerms });
            } catch {
              return; // an unusable term is refused at construction; other tests cover that
            }
            extended += checkStream(engine, text, cuts);
            const [verdict] = await engine.moderate([text], { point: "output" });
            expect(engine.incremental!.judge(text).verdict).toEqual(verdict);
          },
        ),
        propertySettings("incremental obscenity equals whole text", { runs: RUNS }),
      );
      expect(extended).toBeGreaterThan(RUNS / 2);
    },
    TIMEOUT_MS,
  );

  it(
    "the policy with a stream cache answers every call of a stream as without one",
    async () => {
      await fc.assert(
        fc.asyncProperty(keywordLists(), streamed(), fc.constantFrom("block", "mask"), async (lists, s, action) => {
          const engines = [
            createKeywordEngine({
              matcher: createKeywordMatcher({
                lists: [{ name: "l", terms: lists.terms, match: lists.match }],
                allow: lists.allow,
                separators: lists.separators,
              }),
            }),
            createObscenityEngine(),
          ];
          const point = { action, presetResponse: "Withheld.", onEngineError: "open" } as const;
          const cached = createModerationPolicy({
            engines,
            input: point,
            output: point,
            streamCache: createStreamCache(),
          });
          const plain = createModerationPolicy({ engines, input: point, output: point });
          for (const cut of s.cuts) {
            const params = { app_id: "app", text: s.text.slice(0, cut) };
            expect(await cached.moderateOutput(params)).toEqual(await plain.moderateOutput(params));
          }
        }),
        propertySettings("policy with stream cache equals policy without", { runs: RUNS / 3 }),
      );
    },
    TIMEOUT_MS,
  );
});

describe("the obscenity prefilter", () => {
  it(
    "never changes a verdict: prefiltered and unfiltered engines agree on random and hostile texts",
    async () => {
      let flagged = 0;
      let clean = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            textOf(4).filter((t) => /[a-z0-9]/i.test(t)),
            { maxLength: 2 },
          ),
          fc.array(fc.oneof(textOf(60, "max"), hostileText(), fc.string({ unit: "grapheme", maxLength: 40 })), {
            minLength: 1,
            maxLength: 8,
          }),
          async (extraTerms, texts) => {
            let filtered: ModerationEngine;
            try {
              filtered = createObscenityEngine({ extraTerms });
            } catch {
              return;
            }
            const unfiltered = createObscenityEngine({ extraTerms }, { prefilter: false });
            const a = await filtered.moderate(texts, { point: "input" });
            const b = await unfiltered.moderate(texts, { point: "input" });
            expect(a).toEqual(b);
            for (const verdict of b) {
              if (verdict.flagged) flagged++;
              else clean++;
            }
          },
        ),
        propertySettings("obscenity prefilter keeps verdicts", { runs: RUNS }),
      );
      expect(flagged).toBeGreaterThan(RUNS / 4);
      expect(clean).toBeGreaterThan(RUNS / 4);
    },
    TIMEOUT_MS,
  );
});
