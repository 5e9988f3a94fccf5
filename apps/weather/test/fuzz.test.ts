import { fileURLToPath } from "node:url";
import { difyReplyProblems, type Point } from "@dify-ext/protocol";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { type FakeOpenMeteo, startFakeOpenMeteo } from "@dify-ext/test-support/fake-open-meteo";
import { fuzzReceiveEndpoint } from "@dify-ext/test-support/fuzz";
import { propertyRuns, propertyTimeout } from "@dify-ext/test-support/seed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "fuzz-key-0123456789";
/** Requests per run in CI (`FUZZ_RUNS`, `FUZZ_SCALE` and `pnpm fuzz` change it). */
const RUNS = 4000;
const POINT = "app.external_data_tool.query";

describe("weather under hostile input, against a fake Open-Meteo", () => {
  let fake: FakeOpenMeteo;
  let app: AppProcess;
  beforeAll(async () => {
    fake = await startFakeOpenMeteo();
    app = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        OPEN_METEO_GEOCODING_URL: fake.url,
        OPEN_METEO_FORECAST_URL: fake.url,
        WEATHER_TIMEOUT_MS: "2000",
      },
      startTimeoutMs: 60_000,
    });
  }, 90_000);
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
    await fake.close();
  });

  it(
    `answers ${propertyRuns(RUNS)} generated hostile requests with 200/4xx and results Dify accepts, never 5xx, a reset or a hang`,
    async () => {
      const report = await fuzzReceiveEndpoint(app.url, KEY, {
        name: "weather",
        runs: RUNS,
        points: ["ping", POINT],
        checkReply: (point, reply, params) => {
          const problems = difyReplyProblems(point as Point, reply, params);
          const result = (reply as { result?: unknown }).result;
          if (point === POINT && typeof result === "string" && (result.length === 0 || result.length > 600)) {
            problems.push(`result of ${result.length} characters; expected 1 to 600`);
          }
          // The fake upstream is healthy: a tool that hit an internal error has a bug, as a 500 would.
          if (typeof result === "string" && result.includes("the weather tool hit an internal error")) {
            problems.push("the weather tool hit an internal error");
          }
          return problems;
        },
        mustAnswer: [POINT],
        note: () =>
          `upstream requests ${JSON.stringify({ geocoding: fake.calls.geocoding, forecast: fake.calls.forecast })}`,
      });
      expect(report.statuses[500]).toBeUndefined();
      expect(fake.calls.geocoding).toBeGreaterThan(0);
    },
    propertyTimeout(300_000, RUNS),
  );

  it("is still up and answers a valid request correctly after the storm", async () => {
    expect(app.child.exitCode).toBeNull();
    const params = { app_id: "a", tool_variable: "weather", inputs: { location: "Paris" }, query: "" };
    const response = await difyCall(app.receiveUrl, KEY, POINT, params);
    expect(response.status).toBe(200);
    const { result } = (await response.json()) as { result: string };
    expect(result).toMatch(
      /^Current weather in Paris, Île-de-France, France \(local time Sat 4 Jul 14:15 CEST\): 22\.4°C/,
    );
    expect(result.endsWith("Weather data by Open-Meteo.com (CC BY 4.0).")).toBe(true);
  });
});
