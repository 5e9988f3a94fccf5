import { difyCall } from "@dify-ext/test-support/app-process";
import { startAppForSuite } from "@dify-ext/test-support/app-suite";
import { GENEROUS_TIMEOUT_MS, loadedBudgetMs } from "@dify-ext/test-support/budget";
import { difyClient, expectKeyRefused, streamedCalls } from "@dify-ext/test-support/dify";
import { INPUT_BLOCKED, INPUT_PRESET, OUTPUT_BLOCKED, OUTPUT_PRESET, PASS } from "@dify-ext/test-support/replies";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import type { Transport } from "@dify-ext/test-support/worker";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

/**
 * The OpenAI app's end-to-end cases against a fake OpenAI on loopback, run against every transport
 * (the Node process and the Worker in workerd): one suite, two transports.
 */
export const KEY = "e2e-key-0123456789";
export const OPENAI_KEY = "sk-e2e-secret-4f9a1c7d2b";

const { call, input, output, inputWithin, outputWithin, expectBadRequest, expectPong } = difyClient(KEY);

/** Every way the upstream can fail, as the fake scripts them, for one attempt. */
const FAILURES = {
  hang: { type: "hang" },
  "429 with a long retry-after": {
    type: "error",
    status: 429,
    code: "rate_limit_exceeded",
    headers: { "retry-after": "30" },
  },
  "500": { type: "error", status: 500 },
  "malformed body": { type: "text", body: '{"id":"modr-1","results":[{"flagged":tru' },
  "wrong shape": { type: "json", body: { id: "modr-1", results: "none" } },
  // A well-formed reply that flags the text, padded past the 512 KiB the engine reads of a reply.
  "reply larger than 512 KiB": {
    type: "json",
    body: {
      id: "modr-1",
      model: "omni-moderation-latest",
      results: [{ flagged: true, categories: { violence: true }, category_scores: { violence: 0.99 } }],
      padding: "x".repeat(2 * 1024 * 1024),
    },
  },
} as const;

/** Every shared case, each group on its own instance of the app started through `transport`. */
export function openaiCases(transport: Transport): void {
  describe(`moderation-openai against a fake OpenAI (${transport.name})`, () => {
    let fake: FakeOpenAI;
    beforeAll(async () => {
      fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });
    });
    afterAll(() => fake?.close());

    /** The app's variables against the fake: this timeout and number of retries, and `extra`. */
    const openaiEnv = (timeoutMs: number, retries: number, extra: Record<string, string> = {}) => ({
      API_KEYS: KEY,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: fake.url,
      OPENAI_TIMEOUT_MS: String(timeoutMs),
      OPENAI_MAX_RETRIES: String(retries),
      ...extra,
    });
    const FAIL_CLOSED = { MODERATION_INPUT_ON_ERROR: "closed", MODERATION_OUTPUT_ON_ERROR: "closed" };

    // OpenAI answers in time in this group, however busy the machine: the timeout is never reached.
    describe(`failing open (the default) (${transport.name})`, () => {
      const app = startAppForSuite(transport, () =>
        openaiEnv(GENEROUS_TIMEOUT_MS, 0, {
          OPENAI_THRESHOLDS: "violence=0.5,sexual=0.9",
          MODERATION_INPUT_ACTION: "mask",
          MODERATION_OUTPUT_ACTION: "mask",
        }),
      );
      beforeEach(() => fake.reset());

      it("answers ping without calling OpenAI, and is ready", async () => {
        await expectPong(app);
        expect(fake.calls).toHaveLength(0);
        const ready = await fetch(`${app.url}/readyz`);
        expect(ready.status).toBe(200);
      });

      it("rejects a wrong or missing key with 401, and a malformed call with 400", async () => {
        await expectKeyRefused(app, "wrong-key-00000");
        await expectKeyRefused(app, undefined);
        const malformed = await expectBadRequest(app, "app.moderation.output", { app_id: "app", text: 42 });
        expect(malformed.code).toBe("invalid_request");
        expect(fake.calls).toHaveLength(0);
      });

      it("judges every call of a growing output text on its whole text", async () => {
        const answer = `${"A calm and helpful answer. ".repeat(14)}Then it turns VIOLENT and ${"goes on calmly. ".repeat(20)}`;
        const at = answer.indexOf("VIOLENT");
        const calls = streamedCalls(answer);
        expect(calls.some((text) => text.length < at + 7)).toBe(true);
        for (const text of calls) {
          expect(await output(app, text), `prefix of ${text.length}`).toEqual(
            text.length < at + 7 ? PASS : OUTPUT_BLOCKED,
          );
        }
        expect(fake.calls.map((c) => c.inputs)).toEqual(calls.map((text) => [text]));
      });

      it("sends the query and every text input of a Dify call in ONE upstream request", async () => {
        const inputs = {
          topic: "batch topic 1",
          count: 4,
          file: { type: "image" },
          tags: ["batch tag 1", 2, "batch tag 2"],
          blank: " ",
        };
        expect(await input(app, "batch query 1", inputs)).toEqual(PASS);
        expect(fake.calls).toHaveLength(1);
        const [request] = fake.calls;
        expect(request?.authorizedWith(OPENAI_KEY)).toBe(true);
        expect(request?.body).toMatchObject({ model: "omni-moderation-latest" });
        expect([...(request?.inputs ?? [])].sort()).toEqual([
          "batch query 1",
          "batch tag 1",
          "batch tag 2",
          "batch topic 1",
        ]);
      });

      it("applies OPENAI_THRESHOLDS: stricter for violence, laxer for sexual", async () => {
        // The fake scores BORDERLINE violence 0.6 (not flagged by its API), SUGGESTIVE sexual 0.8 (flagged by its API).
        expect(await input(app, "a BORDERLINE remark 1")).toEqual(INPUT_BLOCKED);
        expect(await input(app, "a SUGGESTIVE remark 1")).toEqual(PASS);
        expect(await input(app, "HATEFUL words 1")).toEqual(INPUT_BLOCKED);
      });

      it("blocks a flagged text even with the mask action: OpenAI gives no spans to mask", async () => {
        const params = { app_id: "app", inputs: { note: "fine note" }, query: "I am VIOLENT today 1" };
        expect(await call(app, "app.moderation.input", params)).toEqual(INPUT_BLOCKED);
        expect(await output(app, "an answer that is VIOLENT 1")).toEqual(OUTPUT_BLOCKED);
      });

      it("answers a repeated text from its cache, and asks only for the new texts", async () => {
        const text = "The answer so far, cached 1.";
        expect(await output(app, text)).toEqual(PASS);
        expect(await output(app, text)).toEqual(PASS);
        expect(fake.calls).toHaveLength(1);
        expect(await input(app, text, { other: "a new text 1" })).toEqual(PASS);
        expect(fake.calls).toHaveLength(2);
        expect(fake.calls[1]?.inputs).toEqual(["a new text 1"]);
      });

      it("never flags its own preset responses (Dify may send them back as the output)", async () => {
        for (const text of [OUTPUT_PRESET, INPUT_PRESET]) {
          expect(await output(app, text)).toEqual(PASS);
        }
        expect(fake.calls).toHaveLength(0);
      });

      it("does not cache a failure: the next call asks again and judges", async () => {
        fake.script({ type: "error", status: 500 });
        expect(await input(app, "I am VIOLENT, not cached 1")).toEqual(PASS);
        expect(await input(app, "I am VIOLENT, not cached 1")).toEqual(INPUT_BLOCKED);
        expect(fake.calls).toHaveLength(2);
      });

      it("logs why OpenAI failed, and never the API key, even when the upstream echoes it", async () => {
        fake.script({
          type: "error",
          status: 401,
          code: "invalid_api_key",
          message: `Incorrect API key provided: ${OPENAI_KEY}.`,
        });
        expect(await input(app, "a text for the 401 case")).toEqual(PASS);
        await expect
          .poll(() => app.output.some((line) => line.includes("OpenAI moderation answered 401 (check the API key)")), {
            timeout: 10_000,
          })
          .toBe(true);
        expect(app.output.join("\n")).not.toContain(OPENAI_KEY);
        expect(app.output.join("\n")).not.toContain(OPENAI_KEY.slice(3, 15));
      });
    });

    // A short timeout, so a hang costs little; every case fails, so none needs OpenAI in time.
    describe(`failing open, within the time budget (${transport.name})`, () => {
      const timeoutMs = 1000;
      const app = startAppForSuite(transport, () => openaiEnv(timeoutMs, 0));
      beforeEach(() => fake.reset());

      for (const [name, reply] of Object.entries(FAILURES)) {
        it(`lets the text through when OpenAI fails (${name}), within the time budget`, async () => {
          fake.script(() => reply);
          const budgetMs = loadedBudgetMs(timeoutMs);
          expect(await inputWithin(app, `I am VIOLENT, failing with ${name}`, budgetMs)).toEqual(PASS);
          expect(fake.calls).toHaveLength(1);
        });
      }
    });

    describe(`failing closed, one retry (${transport.name})`, () => {
      const timeoutMs = GENEROUS_TIMEOUT_MS;
      const app = startAppForSuite(transport, () => openaiEnv(timeoutMs, 1, FAIL_CLOSED));
      beforeEach(() => fake.reset());

      it("logs the worst-case wait when the engine starts", async () => {
        await difyCall(app.receiveUrl, KEY, "ping", {});
        // OPENAI_TIMEOUT_MS × 2 attempts + at most 1 s before the retry.
        const worstCaseMs = timeoutMs * 2 + 1000;
        await expect
          .poll(() => app.output.some((line) => line.includes(`"worstCaseMs":${worstCaseMs}`)), { timeout: 10_000 })
          .toBe(true);
      });

      it("retries once after a 500 or a 429 with a short retry-after, then judges", async () => {
        fake.script([{ type: "error", status: 500 }]);
        expect(await input(app, "a clean question after a 500")).toEqual(PASS);
        expect(fake.calls).toHaveLength(2);
        fake.reset();
        fake.script([{ type: "error", status: 429, headers: { "retry-after": "0" } }]);
        expect(await input(app, "I am VIOLENT after a 429")).toEqual(INPUT_BLOCKED);
        expect(fake.calls).toHaveLength(2);
      });

      it("does not retry a 429 whose retry-after exceeds the budget", async () => {
        fake.script(() => ({ type: "error", status: 429, headers: { "retry-after": "30" } }));
        expect(await input(app, "a clean question, rate limited")).toEqual(INPUT_BLOCKED);
        expect(fake.calls).toHaveLength(1);
      });

      it("never prints the API key", () => {
        expect(app.output.join("\n")).not.toContain(OPENAI_KEY);
      });
    });

    describe(`failing closed, one retry, within the time budget (${transport.name})`, () => {
      const timeoutMs = 1000;
      // OPENAI_TIMEOUT_MS × 2 attempts + at most 1 s before the retry.
      const worstCaseMs = timeoutMs * 2 + 1000;
      const app = startAppForSuite(transport, () => openaiEnv(timeoutMs, 1, FAIL_CLOSED));
      beforeEach(() => fake.reset());

      for (const [name, reply] of Object.entries(FAILURES)) {
        it(`blocks input and output with the presets when OpenAI fails (${name}), within the time budget`, async () => {
          fake.script(() => reply);
          const budgetMs = loadedBudgetMs(worstCaseMs);
          expect(await inputWithin(app, `a clean question, failing with ${name}`, budgetMs)).toEqual(INPUT_BLOCKED);
          expect(await outputWithin(app, `a clean answer, failing with ${name}`, budgetMs)).toEqual(OUTPUT_BLOCKED);
        });
      }
    });
  });
}
