import { difyReplyProblems, type ModerationInputParams } from "@dify-ext/protocol";
import { propertyRuns, propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Finding, ModerationEngine } from "./engine.ts";
import { createKeywordEngine, createKeywordMatcher, parseKeywordList } from "./keywords/index.ts";
import { SAMPLE_ALLOW_LIST, SAMPLE_LIST } from "./keywords/sample.ts";
import { createObscenityEngine } from "./obscenity/index.ts";
import { createModerationPolicy, type ModerationPolicy, type PointPolicy } from "./policy.ts";

/** Runs per property and engine set in CI (`FUZZ_RUNS`, `FUZZ_SCALE` and `pnpm fuzz` change it). */
const RUNS = 400;
const TIMEOUT_MS = propertyTimeout(120_000, RUNS);
const MASK: PointPolicy = { action: "mask", presetResponse: "Withheld.", onEngineError: "open" };

/** Words the real engines flag, in the forms users write them, and near misses they must not. */
const FLAGGED = [
  "fuck",
  "FUCK",
  "ｆｕｃｋ",
  "f\u200Buck",
  "fuuuuck",
  "sh1t",
  "shit",
  "b1tch",
  "傻逼",
  "操你妈",
  "bullshit",
  "f.u.c.k",
  "asshole",
];
const NEAR_MISSES = ["class", "Penistone", "Scunthorpe", "assess", "cocktail", "shitake"];
const SPECIAL = [
  "\uD800",
  "\uDFFF",
  "\u200B",
  "\u200D",
  "\u202E",
  "\u0301",
  "😀",
  "👨‍👩‍👧",
  "\uFEFF",
  "\u00AD",
  "İ",
  "ß",
  "ﬁ",
  "\r\n",
  " ",
  "*",
  "█",
];

/** Text built from flagged words, near misses, troublesome code points and plain characters. */
const text = (): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom(...FLAGGED) },
        { weight: 1, arbitrary: fc.constantFrom(...NEAR_MISSES) },
        { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
        { weight: 3, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 8 }) },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join(""));

/** Dify's non-text inputs: numbers, booleans, file objects, nested values. */
const nonText = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.record({ type: fc.constantFrom("image", "document"), transfer_method: fc.constant("remote_url"), url: text() }),
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), text(), { maxKeys: 3 }),
  );

const inputValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: text() },
    { weight: 2, arbitrary: nonText() },
    { weight: 2, arbitrary: fc.array(fc.oneof(text(), nonText()), { maxLength: 5 }) },
  );

/** Input names that are not members of Object.prototype (those are covered by the failing tests below). */
const inputName = (): fc.Arbitrary<string> =>
  fc.string({ maxLength: 10 }).filter((name) => !Object.getOwnPropertyNames(Object.prototype).includes(name));

const inputParams = (): fc.Arbitrary<ModerationInputParams> =>
  fc.record({
    app_id: fc.constant("app"),
    inputs: fc.dictionary(inputName(), inputValue(), { maxKeys: 8 }),
    query: text(),
  });

/** The spans every engine reports for a text (all engines run in mask mode). */
async function findingsOf(
  engines: readonly ModerationEngine[],
  value: string,
  point: "input" | "output",
): Promise<Finding[]> {
  const found: Finding[] = [];
  for (const engine of engines) {
    const [verdict] = await engine.moderate([value], { point });
    if (verdict?.flagged) for (const finding of verdict.findings) found.push(finding);
  }
  return found;
}

/**
 * Checks that `masked` is `original` with exactly the code points inside the findings replaced by
 * the mask character: same code point count, every code point outside a finding unchanged.
 */
function expectMaskedOnlyInside(
  original: string,
  masked: unknown,
  findings: readonly Finding[],
  maskCharacter: string,
): void {
  expect(typeof masked).toBe("string");
  const out = [...(masked as string)];
  const points = [...original];
  expect(out.length).toBe(points.length);
  let offset = 0;
  points.forEach((point, index) => {
    const start = offset;
    offset += point.length;
    const inside = findings.some((finding) => finding.start < offset && finding.end > start);
    if (inside) expect(out[index], `code point ${index} of ${JSON.stringify(original)}`).toBe(maskCharacter);
    else expect(out[index], `code point ${index} of ${JSON.stringify(original)}`).toBe(point);
  });
}

/** The text judged for an input: blank strings are skipped by the policy and never change. */
const judged = (value: string) => value.trim() !== "";

interface Setup {
  name: string;
  engines: ModerationEngine[];
}

const setups: Setup[] = [];
beforeAll(async () => {
  const sampleLists = {
    lists: [parseKeywordList(SAMPLE_LIST.text, SAMPLE_LIST.name)],
    allowLists: [parseKeywordList(SAMPLE_ALLOW_LIST.text, SAMPLE_ALLOW_LIST.name)],
  };
  const sample = createKeywordMatcher(sampleLists);
  const separators = createKeywordMatcher({ ...sampleLists, separators: true });
  const substring = createKeywordMatcher({
    lists: [{ name: "words", terms: ["ass", "fuck", "傻逼", "😀"] }],
    match: "substring",
  });
  const obscenity = createObscenityEngine({ allowTerms: ["penistone"] });
  setups.push(
    { name: "keywords (sample list)", engines: [createKeywordEngine({ matcher: sample })] },
    { name: "keywords (separators)", engines: [createKeywordEngine({ matcher: separators })] },
    { name: "keywords (substring, emoji term)", engines: [createKeywordEngine({ matcher: substring })] },
    { name: "obscenity", engines: [obscenity] },
    { name: "keywords + obscenity", engines: [createKeywordEngine({ matcher: sample }), obscenity] },
  );
});

const maskCharacter = () => fc.constantFrom("*", "█", "😀");

/**
 * Counterexamples random runs found, checked first on every run. The keyword engine (sample list,
 * with and without separators) once judged a text by what it had judged before: a word followed by a
 * lone high surrogate ("c4}fuck\uD800") went unflagged after a text with a low surrogate at that
 * index (seed 702373697, path "134:187"). The first case is the one found, which fails only after
 * the run's earlier texts; the second sets that state up itself (query, then the inputs in order).
 */
const INPUT_EXAMPLES: Array<[ModerationInputParams, string]> = [
  [
    {
      app_id: "app",
      // As fc.dictionary makes them: an inputs object without a prototype.
      inputs: Object.assign(Object.create(null), {
        "3R[CSFX(F`": "c4}fuck\uD800",
        "X#o": "ScunthorpekO}7\u202Eｆｕｃｋ",
      }),
      query: "\u{C4A7A}\u{6E374}\u{8CC5E}\u{5999C}",
    },
    "*",
  ],
  [{ app_id: "app", inputs: { a: "c4}fuck\uD800", b: "aaaaaaa\u{10000}" }, query: "x" }, "*"],
];
const OUTPUT_EXAMPLES: Array<[string, string]> = [
  ["c4}fuck\uD800", "*"],
  ["ScunthorpekO}7\u202Eｆｕｃｋ", "*"],
];

describe("the moderation policy with real engines, masking (property tests)", () => {
  it(
    `input: never changes a non-text input or text outside a match, and overridden carries every input back (${propertyRuns(RUNS)} runs per engine set)`,
    async () => {
      for (const setup of setups) {
        await fc.assert(
          fc.asyncProperty(inputParams(), maskCharacter(), async (params, mask) => {
            const policy: ModerationPolicy = createModerationPolicy({
              engines: setup.engines,
              input: MASK,
              output: MASK,
              maskCharacter: mask,
            });
            const reply = await policy.moderateInput(params);
            expect(difyReplyProblems("app.moderation.input", reply, params)).toEqual([]);

            const anyFlag = [
              params.query,
              ...Object.values(params.inputs).flatMap((v) => (Array.isArray(v) ? v : [v])),
            ].filter((v): v is string => typeof v === "string" && judged(v));
            const flagged = (await Promise.all(anyFlag.map((v) => findingsOf(setup.engines, v, "input")))).some(
              (f) => f.length > 0,
            );
            expect(reply.flagged, setup.name).toBe(flagged);
            if (!reply.flagged) return;
            // Keyword and obscenity findings always have spans, so masking never falls back to blocking.
            expect(reply.action).toBe("overridden");
            const inputs = reply.inputs as Record<string, unknown>;
            expect(Object.keys(inputs).sort()).toEqual(Object.keys(params.inputs).sort());
            expect(typeof reply.query).toBe("string");
            const query = judged(params.query) ? await findingsOf(setup.engines, params.query, "input") : [];
            expectMaskedOnlyInside(params.query, reply.query, query, mask);

            for (const [name, value] of Object.entries(params.inputs)) {
              const back = inputs[name];
              if (typeof value === "string") {
                const found = judged(value) ? await findingsOf(setup.engines, value, "input") : [];
                expectMaskedOnlyInside(value, back, found, mask);
              } else if (Array.isArray(value)) {
                expect(Array.isArray(back)).toBe(true);
                const list = back as unknown[];
                expect(list.length).toBe(value.length);
                let masked = false;
                for (const [index, item] of value.entries()) {
                  if (typeof item === "string") {
                    const found = judged(item) ? await findingsOf(setup.engines, item, "input") : [];
                    if (found.length > 0) masked = true;
                    expectMaskedOnlyInside(item, list[index], found, mask);
                  } else {
                    expect(list[index]).toBe(item);
                  }
                }
                // A list with nothing to mask goes back as the very same array.
                if (!masked) expect(list).toBe(value);
              } else {
                // Not text: the very same value (same reference for objects), never judged or changed.
                expect(back).toBe(value);
              }
            }
          }),
          propertySettings(`policy input masking, ${setup.name}`, { runs: RUNS, examples: INPUT_EXAMPLES }),
        );
      }
    },
    TIMEOUT_MS,
  );

  it(
    `output: the masked answer differs from the original only inside the findings (${propertyRuns(RUNS)} runs per engine set)`,
    async () => {
      for (const setup of setups) {
        await fc.assert(
          fc.asyncProperty(text(), maskCharacter(), async (answer, mask) => {
            const policy = createModerationPolicy({
              engines: setup.engines,
              input: MASK,
              output: MASK,
              maskCharacter: mask,
            });
            const params = { app_id: "app", text: answer };
            const reply = await policy.moderateOutput(params);
            expect(difyReplyProblems("app.moderation.output", reply, params)).toEqual([]);
            const found = judged(answer) ? await findingsOf(setup.engines, answer, "output") : [];
            expect(reply.flagged, setup.name).toBe(found.length > 0);
            if (!reply.flagged) return;
            expect(reply.action).toBe("overridden");
            expectMaskedOnlyInside(answer, reply.text, found, mask);
          }),
          propertySettings(`policy output masking, ${setup.name}`, { runs: RUNS, examples: OUTPUT_EXAMPLES }),
        );
      }
    },
    TIMEOUT_MS,
  );
});

describe("a verdict does not depend on the texts judged before", () => {
  // Found by the input property (seed 702373697): the keyword matcher read past the end of a text
  // into what the previous, longer text had left in its buffer.
  it("masks a word followed by a lone high surrogate even after a text with a low surrogate at that index", async () => {
    for (const setup of setups.filter(({ name }) => name.startsWith("keywords"))) {
      const policy = createModerationPolicy({ engines: setup.engines, input: MASK, output: MASK });
      await policy.moderateOutput({ app_id: "app", text: "aaaaaaa\u{10000}" });
      const reply = await policy.moderateOutput({ app_id: "app", text: "c4}fuck\uD800" });
      expect(reply, setup.name).toMatchObject({ flagged: true, action: "overridden", text: "c4}****\uD800" });
    }
  });
});

describe("inputs named like Object.prototype members are ordinary variables", () => {
  const engine = () => createObscenityEngine();
  const policy = () => createModerationPolicy({ engines: [engine()], input: MASK, output: MASK });

  it("carries back a list input named `constructor` with its flagged item masked", async () => {
    const params: ModerationInputParams = { app_id: "app", inputs: { constructor: ["what the fuck", 1] }, query: "" };
    const reply = await policy().moderateInput(params);
    const sent = JSON.parse(JSON.stringify(reply)) as { inputs: Record<string, unknown> };
    expect(difyReplyProblems("app.moderation.input", sent, params)).toEqual([]);
    expect(sent.inputs).toEqual({ constructor: ["what the ****", 1] });
  });

  it("carries back a list input named `toString` with its flagged item masked", async () => {
    const params: ModerationInputParams = { app_id: "app", inputs: { toString: ["oh shit"] }, query: "" };
    const sent = JSON.parse(JSON.stringify(await policy().moderateInput(params))) as {
      inputs: Record<string, unknown>;
    };
    expect(sent.inputs).toEqual({ toString: ["oh ****"] });
  });

  it("masks a string input whose own name is `__proto__`", async () => {
    const params = {
      app_id: "app",
      inputs: JSON.parse('{"__proto__": "oh shit"}') as Record<string, unknown>,
      query: "",
    };
    const sent = JSON.parse(JSON.stringify(await policy().moderateInput(params))) as {
      inputs: Record<string, unknown>;
    };
    expect(JSON.stringify(sent.inputs)).toBe('{"__proto__":"oh ****"}');
  });
});
