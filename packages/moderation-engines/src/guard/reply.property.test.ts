import { difyReplyProblems } from "@dify-ext/protocol";
import { type FakeGuard, startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { propertyRuns, propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModerationPolicy, type PointPolicy } from "../policy.ts";
import { createGuardEngine } from "./index.ts";
import { GUARD_FORMATS, type GuardFormat } from "./settings.ts";

/** Runs per family in CI. */
const RUNS = 150;
const INPUT_PRESET = "Blocked by the guard.";
const OUTPUT_PRESET = "Withheld by the guard.";
const policyOf = (onEngineError: "open" | "closed"): PointPolicy => ({
  action: "block",
  presetResponse: "unused",
  onEngineError,
});

/** Pieces of every family's real replies, so generated replies are often almost right. */
const FRAGMENTS = [
  "safe",
  "unsafe",
  "Safe",
  "Unsafe",
  "Controversial",
  "Safety:",
  "Safety: ",
  "Categories:",
  "Categories: ",
  "Refusal:",
  "Refusal: ",
  "Yes",
  "No",
  "None",
  "Violent",
  "PII",
  "Jailbreak",
  "S1",
  "S10",
  "S14",
  "S99",
  "S",
  ",",
  ", ",
  "\n",
  " ",
  "**",
  "<think>",
  "I'm sorry, I can't help with that.",
];

/** Any text a model could answer: arbitrary strings, and strings built from real fragments. */
const replyText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 8 }).map((parts) => parts.join("")),
);

/** Whether a reply is, on its face, not in the family's format: the engine must then fail. */
const plainlyNotAVerdict: Record<GuardFormat, (content: string) => boolean> = {
  "llama-guard": (content) => !/^\s*(safe|unsafe)/i.test(content),
  // The model card's format: the safety line first, then only a categories and a refusal line.
  qwen3guard: (content) => {
    const lines = content.trim().split(/\r?\n/);
    return (
      !/^Safety:/i.test(lines[0]!) ||
      lines.length > 3 ||
      lines.slice(1).some((line) => !/^[ \t]*(Categories|Refusal):/i.test(line))
    );
  },
  shieldgemma: (content) => !/^[\s*_"'`]*(yes|no)/i.test(content),
};

/** The family's plain "safe" answer, lower-cased. */
const SAFE_REPLY: Record<GuardFormat, string> = {
  "llama-guard": "safe",
  qwen3guard: "safety: safe",
  shieldgemma: "no",
};

const MODEL: Record<GuardFormat, string> = {
  "llama-guard": "llama-guard3:8b",
  qwen3guard: "Qwen/Qwen3Guard-Gen-4B",
  shieldgemma: "shieldgemma:9b",
};

describe("any reply a guard model could give (property tests)", () => {
  let fake: FakeGuard;
  let content = "";
  beforeAll(async () => {
    fake = await startFakeGuard();
    fake.script(() => ({ type: "content", content }));
  });
  afterAll(() => fake.close());

  for (const format of GUARD_FORMATS) {
    it(
      `${format}: yields a reply Dify accepts, a verdict or the failure policy, never an exception (${propertyRuns(RUNS)} runs)`,
      async () => {
        const engine = createGuardEngine({ baseURL: fake.url, model: MODEL[format], maxRetries: 0, cache: { max: 0 } });
        const open = createModerationPolicy({
          engines: [engine],
          input: { ...policyOf("open"), presetResponse: INPUT_PRESET },
          output: { ...policyOf("open"), presetResponse: OUTPUT_PRESET },
        });
        const closed = createModerationPolicy({
          engines: [engine],
          input: { ...policyOf("closed"), presetResponse: INPUT_PRESET },
          output: { ...policyOf("closed"), presetResponse: OUTPUT_PRESET },
        });
        await fc.assert(
          fc.asyncProperty(replyText, fc.boolean(), async (reply, atInput) => {
            content = reply;
            const params = atInput
              ? { app_id: "a", inputs: {}, query: "some user text" }
              : { app_id: "a", text: "some answer text" };
            const point = atInput ? "app.moderation.input" : "app.moderation.output";
            const judge = (policy: typeof open) =>
              atInput
                ? policy.moderateInput(params as { app_id: string; inputs: Record<string, unknown>; query: string })
                : policy.moderateOutput(params as { app_id: string; text: string });
            const [whenOpen, whenClosed] = [await judge(open), await judge(closed)];
            expect(difyReplyProblems(point, whenOpen, params)).toEqual([]);
            expect(difyReplyProblems(point, whenClosed, params)).toEqual([]);
            const failed = whenOpen.flagged === false && whenClosed.flagged === true;
            // A verdict does not depend on the failure policy; a failure is exactly the two policies' answers.
            if (!failed) expect(whenOpen).toEqual(whenClosed);
            if (plainlyNotAVerdict[format](reply)) expect(failed).toBe(true);
            if (reply.trim().toLowerCase() === SAFE_REPLY[format]) {
              expect(whenOpen.flagged || whenClosed.flagged).toBe(false);
            }
          }),
          propertySettings(`guard replies, ${format}`, { runs: RUNS }),
        );
      },
      propertyTimeout(60_000, RUNS),
    );
  }
});
