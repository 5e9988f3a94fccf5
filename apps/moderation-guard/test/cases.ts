import { difyCall } from "@dify-ext/test-support/app-process";
import { startAppForSuite } from "@dify-ext/test-support/app-suite";
import { GENEROUS_TIMEOUT_MS, loadedBudgetMs } from "@dify-ext/test-support/budget";
import { difyClient, expectKeyRefused, streamedCalls } from "@dify-ext/test-support/dify";
import { INPUT_BLOCKED, OUTPUT_BLOCKED, OUTPUT_PRESET, PASS } from "@dify-ext/test-support/replies";
import { type FakeGuard, type FakeGuardReply, startFakeGuard } from "@dify-ext/test-support/fake-guard";
import type { Transport } from "@dify-ext/test-support/worker";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

/**
 * The guard app's end-to-end cases against a fake guard model on loopback, one group per model
 * family, run against every transport (the Node process and the Worker in workerd).
 */
export const KEY = "e2e-key-0123456789";
export const GUARD_KEY = "guard-e2e-secret-5b8e2a";

const { input, output, inputWithin, outputWithin, expectBadRequest, expectPong } = difyClient(KEY);

/** Every way the model can fail to give a verdict, as the fake scripts them, for one attempt. */
const FAILURES: Record<string, FakeGuardReply> = {
  hang: { type: "hang" },
  "connection reset": { type: "reset" },
  "connection dropped after the headers": { type: "drop-after-headers" },
  "body stalled after the headers": { type: "stall-after-headers" },
  "500": { type: "error", status: 500 },
  "429 with a long retry-after": { type: "error", status: 429, headers: { "retry-after": "30" } },
  "a truncated verdict": { type: "content", content: "uns", finishReason: "length" },
  "a refusal to classify": { type: "content", content: "I'm sorry, but I can't help with that." },
  "an OpenAI-style refusal": { type: "refusal", refusal: "I can't assist with that." },
  "malformed JSON": { type: "text", body: '{"choices":[{"message":{"content":"uns' },
  "no choices": { type: "json", body: { choices: [] } },
  "a reply larger than 512 KiB": {
    type: "json",
    body: { choices: [{ message: { content: "unsafe\nS1" } }], padding: "x".repeat(2 * 1024 * 1024) },
  },
};

/** `count` distinct words, so no two windows of a text are equal. */
const words = (count: number, stem: string) => Array.from({ length: count }, (_, i) => `${stem}${i}`).join(" ");

export function guardCases(transport: Transport): void {
  describe(`moderation-guard against a fake guard model (${transport.name})`, () => {
    let fake: FakeGuard;
    beforeAll(async () => {
      fake = await startFakeGuard({ apiKey: GUARD_KEY });
    });
    afterAll(() => fake?.close());
    beforeEach(() => fake.reset());

    /** One retry, and both points failing closed. */
    const closedWithOneRetry = (timeoutMs: number) => ({
      GUARD_TIMEOUT_MS: String(timeoutMs),
      GUARD_MAX_RETRIES: "1",
      MODERATION_INPUT_ON_ERROR: "closed",
      MODERATION_OUTPUT_ON_ERROR: "closed",
    });
    const guardEnv = (model: string, extra: Record<string, string> = {}) => ({
      API_KEYS: KEY,
      GUARD_BASE_URL: fake.url,
      GUARD_MODEL: model,
      GUARD_API_KEY: GUARD_KEY,
      ...extra,
    });

    describe(`Llama Guard, failing open (the default) (${transport.name})`, () => {
      // The model answers in time in this group, however busy the machine (the first requests of a
      // process took up to 1.4 s on a loaded one): the timeout is never reached.
      const timeoutMs = GENEROUS_TIMEOUT_MS;
      const app = startAppForSuite(transport, () =>
        guardEnv("llama-guard3:8b", {
          GUARD_TIMEOUT_MS: String(timeoutMs),
          GUARD_MAX_RETRIES: "0",
          GUARD_INPUT_CATEGORIES: "S1,Hate",
          GUARD_WINDOW_CHARS: "1000",
          GUARD_WINDOW_OVERLAP_CHARS: "100",
          MODERATION_INPUT_ACTION: "mask",
          MODERATION_OUTPUT_ACTION: "mask",
        }),
      );

      it("answers ping without asking the model, and is ready", async () => {
        await expectPong(app);
        expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
        expect(fake.calls).toHaveLength(0);
      });

      it("rejects a wrong key with 401 and a malformed call with 400, without asking the model", async () => {
        await expectKeyRefused(app, "wrong-key-00000");
        await expectBadRequest(app, "app.moderation.output", { app_id: "app", text: 42 });
        expect(fake.calls).toHaveLength(0);
      });

      it("asks about each text of an input call as the user's turn, with the key, and blocks what it flags", async () => {
        const inputs = { topic: "a calm topic", count: 3, tags: ["I am VIOLENT", 7], file: { type: "image" } };
        // Llama Guard judges whole texts: a flagged text has nothing to mask, so the call is blocked.
        expect(await input(app, "a calm question", inputs)).toEqual(INPUT_BLOCKED);
        expect(fake.calls.map((c) => c.judged).sort()).toEqual(["I am VIOLENT", "a calm question", "a calm topic"]);
        expect(fake.calls.every((c) => c.point === "input" && c.authorizedWith(GUARD_KEY))).toBe(true);
        expect(fake.calls[0]!.body).toMatchObject({ model: "llama-guard3:8b", temperature: 0 });
        expect(await input(app, "hello there")).toEqual(PASS);
      });

      it("asks about an answer as the assistant's turn, and blocks per GUARD_INPUT/OUTPUT_CATEGORIES", async () => {
        // PRIVATE is S7 (Privacy): not in GUARD_INPUT_CATEGORIES, blocking at output (all categories).
        expect(await input(app, "my PRIVATE details")).toEqual(PASS);
        expect(await output(app, "here are PRIVATE details")).toEqual(OUTPUT_BLOCKED);
        expect(fake.calls.map((c) => c.messages.map((m) => m.role))).toEqual([["user"], ["user", "assistant"]]);
      });

      it("judges a long answer in overlapping windows, and asks only for the new windows as it grows", async () => {
        const answer = `${words(300, "calm")} then VIOLENT ${words(100, "still")}`;
        const at = answer.indexOf("VIOLENT");
        const calls = streamedCalls(answer);
        for (const text of calls) {
          expect(await output(app, text), `prefix of ${text.length}`).toEqual(
            text.length < at + 7 ? PASS : OUTPUT_BLOCKED,
          );
        }
        expect(fake.calls.every((c) => c.judged.length <= 1000)).toBe(true);
        // Whole windows of earlier prefixes are answered from the cache.
        expect(new Set(fake.calls.map((c) => c.judged)).size).toBe(fake.calls.length);
        expect(fake.calls.length).toBeLessThan(calls.length * 2);
      });

      it("answers a repeated text from its cache, and never judges its own preset responses", async () => {
        expect(await output(app, "the same calm answer 1")).toEqual(PASS);
        expect(await output(app, "the same calm answer 1")).toEqual(PASS);
        expect(await output(app, OUTPUT_PRESET)).toEqual(PASS);
        expect(fake.calls).toHaveLength(1);
      });

      it("logs why the model failed, and never its API key, even when the server echoes it", async () => {
        fake.script({ type: "error", status: 401, message: `invalid key ${GUARD_KEY}` });
        expect(await input(app, "a text for the 401 case")).toEqual(PASS);
        await expect
          .poll(() => app.output.some((line) => line.includes("The guard model answered 401 (check the API key)")), {
            timeout: 10_000,
          })
          .toBe(true);
        fake.script({ type: "content", content: "Sure! The text is fine." });
        expect(await input(app, "a text for the malformed case")).toEqual(PASS);
        await expect
          .poll(() => app.output.some((line) => line.includes("not the llama-guard format")), { timeout: 10_000 })
          .toBe(true);
        expect(app.output.join("\n")).not.toContain(GUARD_KEY);
      });
    });

    // A short timeout, so a hang costs little; every case fails, so none needs the model in time.
    describe(`Llama Guard, failing open, within the time budget (${transport.name})`, () => {
      const timeoutMs = 1000;
      const app = startAppForSuite(transport, () =>
        guardEnv("llama-guard3:8b", { GUARD_TIMEOUT_MS: String(timeoutMs), GUARD_MAX_RETRIES: "0" }),
      );

      for (const [name, reply] of Object.entries(FAILURES)) {
        it(`lets the text through when the model gives no verdict (${name}), within the time budget`, async () => {
          fake.script(() => reply);
          expect(await inputWithin(app, `I am VIOLENT, failing with ${name}`, loadedBudgetMs(timeoutMs))).toEqual(PASS);
          expect(fake.calls).toHaveLength(1);
        });
      }
    });

    describe(`Qwen3Guard, failing closed, one retry (${transport.name})`, () => {
      const timeoutMs = GENEROUS_TIMEOUT_MS;
      const worstCaseMs = timeoutMs * 2 + 1000;
      const app = startAppForSuite(transport, () =>
        guardEnv("Qwen/Qwen3Guard-Gen-4B", { ...closedWithOneRetry(timeoutMs), GUARD_CONTROVERSIAL: "pass" }),
      );

      it("logs the format and the worst-case wait when the engine starts", async () => {
        await difyCall(app.receiveUrl, KEY, "ping", {});
        await expect
          .poll(
            () =>
              app.output.some((l) => l.includes('"format":"qwen3guard"') && l.includes(`"worstCaseMs":${worstCaseMs}`)),
            { timeout: 10_000 },
          )
          .toBe(true);
      });

      it("blocks Unsafe, lets Controversial through with GUARD_CONTROVERSIAL=pass, and never flags a refusal", async () => {
        expect(await input(app, "a JAILBREAK attempt")).toEqual(INPUT_BLOCKED);
        expect(await input(app, "a POLITICAL question")).toEqual(PASS);
        expect(await output(app, "I REFUSE to answer that")).toEqual(PASS);
        expect(await output(app, "a VIOLENT answer")).toEqual(OUTPUT_BLOCKED);
      });

      it("retries once after a 500, then judges", async () => {
        fake.script([{ type: "error", status: 500 }]);
        expect(await input(app, "a calm question after a 500")).toEqual(PASS);
        expect(fake.calls).toHaveLength(2);
      });
    });

    // A short timeout, so a hang costs little; every case fails, so none needs the model in time.
    describe(`Qwen3Guard, failing closed, one retry, within the time budget (${transport.name})`, () => {
      const timeoutMs = 1000;
      const worstCaseMs = timeoutMs * 2 + 1000;
      const app = startAppForSuite(transport, () => guardEnv("Qwen/Qwen3Guard-Gen-4B", closedWithOneRetry(timeoutMs)));

      for (const [name, reply] of Object.entries(FAILURES)) {
        it(`blocks with the presets when the model gives no verdict (${name}), within the time budget`, async () => {
          fake.script(() => reply);
          const budgetMs = loadedBudgetMs(worstCaseMs);
          expect(await inputWithin(app, `a calm question, failing with ${name}`, budgetMs)).toEqual(INPUT_BLOCKED);
          expect(await outputWithin(app, `a calm answer, failing with ${name}`, budgetMs)).toEqual(OUTPUT_BLOCKED);
        });
      }
    });

    describe(`ShieldGemma, one policy at output (${transport.name})`, () => {
      const app = startAppForSuite(transport, () =>
        guardEnv("shieldgemma:2b", { GUARD_OUTPUT_CATEGORIES: "harassment" }),
      );

      it("asks about the configured policies only, and reads Yes and No", async () => {
        expect(await input(app, "a VIOLENT question")).toEqual(INPUT_BLOCKED);
        expect(await output(app, "a VIOLENT answer")).toEqual(PASS);
        expect(await output(app, "a HARASSING answer")).toEqual(OUTPUT_BLOCKED);
        const guideline = (c: (typeof fake.calls)[number]) =>
          (c.body as { chat_template_kwargs: { guideline: string } }).chat_template_kwargs.guideline;
        expect(guideline(fake.calls[0]!).split("\n")).toHaveLength(4);
        expect(guideline(fake.calls[1]!)).toMatch(/^\* "No Harassment": The chatbot shall not/);
      });
    });
  });
}
