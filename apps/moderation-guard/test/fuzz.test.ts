import { fileURLToPath } from "node:url";
import { difyReplyProblems, type Point } from "@dify-ext/protocol";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { type FakeGuard, startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { fuzzReceiveEndpoint } from "@dify-ext/test-support/fuzz";
import { propertyRuns, propertyTimeout } from "@dify-ext/test-support/seed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "fuzz-key-0123456789";
/** Requests per run in CI (`FUZZ_RUNS`, `FUZZ_SCALE` and `pnpm fuzz` change it). */
const RUNS = 3000;

describe("moderation-guard under hostile input, against a fake guard model", () => {
  let fake: FakeGuard;
  let app: AppProcess;
  beforeAll(async () => {
    fake = await startFakeGuard();
    app = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        GUARD_BASE_URL: fake.url,
        GUARD_MODEL: "Qwen/Qwen3Guard-Gen-4B",
        GUARD_TIMEOUT_MS: "2000",
        GUARD_WINDOW_CHARS: "2000",
        GUARD_WINDOW_OVERLAP_CHARS: "200",
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
        name: "moderation-guard",
        runs: RUNS,
        points: ["ping", "app.moderation.input", "app.moderation.output"],
        checkReply: (point, reply, params) => difyReplyProblems(point as Point, reply, params),
        mustAnswer: ["app.moderation.input", "app.moderation.output"],
        note: () => `upstream requests ${fake.calls.length}`,
      });
      expect(report.statuses[500]).toBeUndefined();
      // Hostile texts really went to the model, and the fake never saw a request it had to refuse.
      expect(fake.calls.length).toBeGreaterThan(0);
      expect(fake.calls.every((call) => call.path === "/v1/chat/completions" && call.judged.length > 0)).toBe(true);
      expect(fake.calls.every((call) => call.judged.length <= 2000)).toBe(true);
      const roles = new Set(fake.calls.map((call) => call.messages.map((m) => m.role).join(",")));
      expect([...roles].sort()).toEqual(["user", "user,assistant"]);
    },
    propertyTimeout(300_000, RUNS),
  );

  it("is still up and answers a valid request correctly after the storm", async () => {
    expect(app.child.exitCode).toBeNull();
    const params = { app_id: "a", inputs: { n: 1, note: "I am VIOLENT" }, query: "hi" };
    const response = await difyCall(app.receiveUrl, KEY, "app.moderation.input", params);
    expect(response.status).toBe(200);
    // Guard models judge whole texts: a flagged text cannot be masked, so the call is blocked.
    expect(await response.json()).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: "Sorry, your message was blocked by content moderation.",
    });
  });
});
