/**
 * Streamed answers judged incrementally give exactly the verdict and spans of judging the whole
 * text, for every engine that judges incrementally: random texts (NFKC expansions and
 * contractions, combining marks, invisible characters, surrogates, full-width letters,
 * separators, CJK, repeated letters), random lists and random sequences of cuts (Dify sends the
 * whole answer so far, each call longer than the last).
 */
import { hostileText } from "@dify-ext/test-support/fuzz";
import { memoryStore } from "@dify-ext/test-support/memory-store";
import { propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IncrementalJudgement, ModerationEngine } from "./engine.ts";
import { createKeywordEngine, createKeywordMatcher } from "./keywords/index.ts";
import { createObscenityEngine } from "./obscenity/index.ts";
import { createPiiEngine } from "./pii/index.ts";
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

/** What the pii engine's texts are made of: its findings, look-alikes, and what joins or parts them. */
const PII_ATOMS = [
  "jane.doe@example.com",
  "us\u200ber@exa\u200bmple.org",
  "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
  "@",
  "＠",
  "+44 20 7946 0958",
  "+8613800138000",
  "+861380013800",
  "(415) 555-2671",
  "415.555.2671",
  "4111 1111 1111 1111",
  "4111\u00a01111\u00a01111\u00a01111",
  "5555\u20135555\u20135555\u20134444",
  "DE89 3704 0044 0532 0130 00",
  "de89370400440532013000",
  "GB29NWBK60161331926819",
  "GB82 WEST 1234 5698 7654 32",
  "gb82 west 1234 5698 7654 32",
  "FR14 2004 1010 0505 0001 3M02 606",
  "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
  "192.168.1.10",
  "2001:db8::8a2e:370:7334",
  "11010519491231002X",
  "13800138000",
  "123-45-6789",
  "AKIAIOSFODNN7EXAMPLE",
  "sk-proj-AbC123dEf456GhI789jKl012MnO345pQr",
  "ghp_1234567890abcdefghijABCDEFGHIJ123456",
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIB\n-----END PRIVATE KEY-----",
  "-----BEGIN ",
  "2024-11-27",
  "1.2.3.4.5",
  "v1",
  "INV-",
  "#",
  "/",
  "  ",
  " ",
  " ",
  "\n",
  ",",
  "，",
  "。",
  "a",
  "Z",
  "x",
  "0",
  "1",
  "4",
  "9",
  "-",
  ".",
  ":",
  "+",
  "(",
  ")",
  "_",
  "\u00a0",
  "\u202f",
  "\u2013",
  "\u200b",
  "邮件",
  "电话",
  "the ",
  "call ",
  "😀",
];
/** A pii text and the increasing lengths at which Dify sends it. */
const piiStreamed = () =>
  fc
    .array(fc.constantFrom(...PII_ATOMS), { maxLength: 120, size: "max" })
    .map((parts) => parts.join(""))
    .chain((text) =>
      fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, text.length) }), { maxLength: 16 }).map((cuts) => ({
        text,
        cuts: [...cuts.filter((cut) => cut < text.length).sort((a, b) => a - b), text.length],
      })),
    );

const keywordLists = () =>
  fc.record({
    terms: fc.array(textOf(4), { minLength: 1, maxLength: 8 }),
    allow: fc.array(textOf(6), { maxLength: 3 }),
    match: fc.constantFrom("word" as const, "substring" as const),
    separators: fc.boolean(),
  });

/**
 * Judges each prefix of the stream by extending the previous judgement; checks every one. With a
 * `replica` (the same engine built again from the same settings), every other prefix is judged by
 * it, from the previous judgement written and read back through the engines' codec, as replicas
 * sharing streamed-answer judgements do.
 */
function checkStream(
  engine: ModerationEngine,
  text: string,
  cuts: readonly number[],
  replica?: ModerationEngine,
): number {
  let prior: IncrementalJudgement | undefined;
  let previousCut = 0;
  let extended = 0;
  for (const [index, cut] of cuts.entries()) {
    const incremental = (replica && index % 2 === 1 ? replica : engine).incremental!;
    if (prior && replica) {
      const encoded = (index % 2 === 1 ? engine : replica).incremental!.codec!.encode(prior);
      prior = encoded === undefined ? undefined : incremental.codec!.decode(encoded, previousCut);
      if (encoded !== undefined) expect(prior, "a state written by a replica is read back").toBeDefined();
    }
    previousCut = cut;
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
          const options = {
            lists: [{ name: "l", terms: lists.terms, match: lists.match }],
            allow: lists.allow,
            separators: lists.separators,
          };
          const replica = createKeywordEngine({ matcher: createKeywordMatcher(options) });
          checkStream(createKeywordEngine({ matcher: createKeywordMatcher(options) }), text, cuts, replica);
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
            checkStream(engine, text, cuts, createObscenityEngine({ extraTerms, allowTerms }));
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
    "pii: random texts of personal data, look-alikes and the characters around them, and cuts",
    async () => {
      let extended = 0;
      const engines = [
        createPiiEngine(),
        createPiiEngine({ maskStyle: "stars", phoneRegion: "DE" }),
        createPiiEngine({ types: ["phone", "iban", "email"] }),
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...engines), piiStreamed(), async (engine, { text, cuts }) => {
          extended += checkStream(engine, text, cuts);
          const [verdict] = await engine.moderate([text], { point: "output" });
          expect(engine.incremental!.judge(text).verdict).toEqual(verdict);
        }),
        propertySettings("incremental pii equals whole text", { runs: RUNS * 2 }),
      );
      expect(extended).toBeGreaterThan(RUNS / 2);
    },
    TIMEOUT_MS,
  );

  it("pii: a stream of phone-like runs is extended, not judged whole, after its first call", () => {
    const engine = createPiiEngine();
    const text = "+861380013800 +8613800138000 ".repeat(200);
    let prior = engine.incremental!.judge(text.slice(0, 300));
    // Dify's calls: every 300 characters, then the whole answer.
    for (let end = 600; end < text.length + 300; end += 300) {
      const next = engine.incremental!.extend(prior, text.slice(0, Math.min(end, text.length)));
      expect(next, `extending to ${end}`).toBeDefined();
      prior = next!;
    }
    expect(prior.verdict).toEqual(engine.incremental!.judge(text).verdict);
    expect(prior.verdict.findings).toHaveLength(200);
  });

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

  it(
    "three replicas sharing a store, the calls spread over them, answer every call as one without a cache",
    async () => {
      await fc.assert(
        fc.asyncProperty(keywordLists(), streamed(), fc.constantFrom("block", "mask"), async (lists, s, action) => {
          const engines = () => [
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
          const shared = memoryStore();
          const replicas = [0, 1, 2].map(() =>
            createModerationPolicy({
              engines: engines(),
              input: point,
              output: point,
              // No local reach: every call that is not the replica's own last text asks the store.
              // Writes on every call, or only every 40 code units: a replica may resume from a state
              // that lags behind another's.
              streamCache: createStreamCache({
                shared,
                localReach: 0,
                sharedWriteEvery: s.cuts.length % 2 === 0 ? 1 : 40,
              }),
            }),
          );
          const plain = createModerationPolicy({ engines: engines(), input: point, output: point });
          for (const [index, cut] of s.cuts.entries()) {
            const params = { app_id: "app", text: s.text.slice(0, cut) };
            expect(await replicas[index % 3]!.moderateOutput(params)).toEqual(await plain.moderateOutput(params));
          }
        }),
        propertySettings("replicas sharing a stream store equal a policy without cache", { runs: RUNS / 3 }),
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
