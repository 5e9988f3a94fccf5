import { fileURLToPath } from "node:url";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { fuzzReceiveEndpoint } from "@dify-ext/test-support/fuzz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "fuzz-key-0123456789";
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

describe("moderation-keywords under hostile input", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_INPUT_ACTION: "mask" } });
  }, 60_000);
  afterAll(async () => {
    await app.stop();
  });

  it(`answers ${RUNS} generated hostile requests with 200/4xx, never 5xx, a reset or a hang`, async () => {
    const report = await fuzzReceiveEndpoint(app.url, KEY, { runs: RUNS });
    console.log(`fuzz moderation-keywords: ${report.runs} requests, statuses ${JSON.stringify(report.statuses)}`);
    expect(Object.keys(report.statuses).length).toBeGreaterThan(3);
  }, 300_000);

  it("is still up and answers a valid request correctly after the storm", async () => {
    expect(app.child.exitCode).toBeNull();
    const response = await difyCall(app.receiveUrl, KEY, "app.moderation.input", { app_id: "a", inputs: { n: 1, t: "a shit day" }, query: "hi" });
    expect(await response.json()).toEqual({ flagged: true, action: "overridden", inputs: { n: 1, t: "a **** day" }, query: "hi" });
  });
});
