import { fileURLToPath } from "node:url";
import { difyReplyProblems, type Point } from "@dify-ext/protocol";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { fuzzReceiveEndpoint } from "@dify-ext/test-support/fuzz";
import { propertyRuns, propertyTimeout } from "@dify-ext/test-support/seed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "fuzz-key-0123456789";
const OPENAI_KEY = "sk-fuzz-secret-8d3e1a";
/** Requests per run in CI (`FUZZ_RUNS`, `FUZZ_SCALE` and `pnpm fuzz` change it). */
const RUNS = 3000;

describe("moderation-openai under hostile input, against a fake OpenAI", () => {
  let fake: FakeOpenAI;
  let app: AppProcess;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });
    app = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: fake.url,
        OPENAI_TIMEOUT_MS: "2000",
        MODERATION_INPUT_ACTION: "mask",
        MODERATION_OUTPUT_ACTION: "mask",
      },
      startTimeoutMs: 60_000,
    });
  }, 90_000);
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
    await fake.close();
  });

  it(
    `answers ${propertyRuns(RUNS)} generated hostile requests with 200/4xx and replies Dify accepts, never 5xx, a reset or a hang`,
    async () => {
      const report = await fuzzReceiveEndpoint(app.url, KEY, {
        name: "moderation-openai",
        runs: RUNS,
        points: ["ping", "app.moderation.input", "app.moderation.output"],
        checkReply: (point, reply, params) => difyReplyProblems(point as Point, reply, params),
        mustAnswer: ["app.moderation.input", "app.moderation.output"],
        note: () => `upstream requests ${fake.calls.length}`,
      });
      expect(report.statuses[500]).toBeUndefined();
      // Hostile texts really went upstream, and the fake never saw a malformed request from the engine.
      expect(fake.calls.length).toBeGreaterThan(0);
      expect(fake.calls.every((call) => call.path === "/v1/moderations" && call.inputs.length > 0)).toBe(true);
    },
    propertyTimeout(300_000, RUNS),
  );

  it("is still up and answers a valid request correctly after the storm", async () => {
    expect(app.child.exitCode).toBeNull();
    const params = { app_id: "a", inputs: { n: 1, note: "I am VIOLENT" }, query: "hi" };
    const response = await difyCall(app.receiveUrl, KEY, "app.moderation.input", params);
    expect(response.status).toBe(200);
    // OpenAI judges whole texts: a flagged text cannot be masked, so the call is blocked.
    expect(await response.json()).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: "Sorry, your message was blocked by content moderation.",
    });
  });
});
