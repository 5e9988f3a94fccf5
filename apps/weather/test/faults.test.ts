import { fileURLToPath } from "node:url";
import { type AppProcess, startAppProcess } from "@dify-ext/test-support/app-process";
import { difyClient } from "@dify-ext/test-support/dify";
import { loadedBudgetMs } from "@dify-ext/test-support/budget";
import { type FaultProxy, startFaultProxy } from "@dify-ext/test-support/fault-proxy";
import {
  type FakeBehaviour,
  type FakeEndpoint,
  type FakeOpenMeteo,
  startFakeOpenMeteo,
} from "@dify-ext/test-support/fake-open-meteo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "weather-faults-key-0123";
const POINT = "app.external_data_tool.query";
/**
 * Long enough that the healthy cases are answered in time on a loaded machine (load 20+), short
 * enough that the hangs cost little.
 */
const TIMEOUT_MS = 2000;
/** A slow answer, well inside the timeout: a quarter of it. */
const SLOW_MS = TIMEOUT_MS / 4;
/** A lookup makes at most two upstream requests (geocoding, then forecast), each bounded by the timeout. */
const BUDGET_MS = 2 * TIMEOUT_MS;
const REPORT = /^Current weather in Paris, Île-de-France, France .* Weather data by Open-Meteo\.com \(CC BY 4\.0\)\.$/;
const unavailable = (why: string) => `Weather for 'Paris' is unavailable right now (${why}).`;

const { timedCall } = difyClient(KEY);

interface Row {
  fault: string;
  result: string;
  ms: number;
}

/** One data-tool call as Dify makes it, checked against Dify's rules, with the result and its duration. */
async function ask(app: AppProcess, place: string): Promise<{ result: string; ms: number }> {
  const params = { app_id: "app", tool_variable: "weather", inputs: { location: place }, query: "" };
  const { body, ms } = (await timedCall(app, POINT, params)) as { body: { result: string }; ms: number };
  expect(body.result.length).toBeGreaterThan(0);
  expect(body.result.length).toBeLessThanOrEqual(600);
  return { result: body.result, ms };
}

describe("weather when Open-Meteo fails: every call still answered 200 with a sentence, within the budget", () => {
  let fake: FakeOpenMeteo;
  let proxy: FaultProxy;
  let app: AppProcess;
  const rows: Row[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenMeteo();
    proxy = await startFaultProxy(new URL(fake.url).port);
    app = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        OPEN_METEO_GEOCODING_URL: proxy.url,
        OPEN_METEO_FORECAST_URL: proxy.url,
        WEATHER_TIMEOUT_MS: String(TIMEOUT_MS),
        // Caches off in effect: every call goes upstream and meets the fault.
        WEATHER_CACHE_TTL_MS: "1",
        WEATHER_GEOCODE_TTL_MS: "1",
        WEATHER_NOT_FOUND_TTL_MS: "1",
      },
      startTimeoutMs: 60_000,
    });
  }, 90_000);

  afterAll(async () => {
    console.log(
      [
        `Open-Meteo fault table (WEATHER_TIMEOUT_MS=${TIMEOUT_MS}, budget ${BUDGET_MS} ms for geocoding + forecast):`,
        "| fault | result (status 200) | time |",
        "| --- | --- | --- |",
        ...rows.map(
          (row) =>
            `| ${row.fault} | ${row.result.startsWith("Current weather in") ? "the weather report" : row.result} | ${Math.round(row.ms)} ms |`,
        ),
      ].join("\n"),
    );
    expect(await app.stop()).toBe(0);
    await proxy.close();
    await fake.close();
  });

  async function underFault(fault: string, expected: string | RegExp, inject: () => void | Promise<void>) {
    fake.reset();
    proxy.setFault({ kind: "pass" });
    await inject();
    const answer = await ask(app, "Paris");
    fake.reset();
    proxy.setFault({ kind: "pass" });
    await proxy.accept();
    rows.push({ fault, result: answer.result, ms: answer.ms });
    if (typeof expected === "string") expect(answer.result).toBe(expected);
    else expect(answer.result).toMatch(expected);
    expect(answer.ms).toBeLessThan(loadedBudgetMs(BUDGET_MS));
  }
  const on = (endpoint: FakeEndpoint, behaviour: FakeBehaviour) => () => fake.script(endpoint, behaviour);

  it("healthy upstream", () => underFault("none (healthy)", REPORT, () => {}));
  it("slow answers inside the timeout", () =>
    underFault(`each API answers after ${SLOW_MS} ms`, REPORT, () => {
      fake.script("geocoding", { kind: "delay", ms: SLOW_MS });
      fake.script("forecast", { kind: "delay", ms: SLOW_MS });
    }));
  it("connection refused", () =>
    underFault("connection refused (listener closed)", unavailable("the weather service could not be reached"), () =>
      proxy.refuse(),
    ));
  it("reset before any answer", () =>
    underFault(
      "geocoding: reset before the answer",
      unavailable("the weather service could not be reached"),
      on("geocoding", { kind: "reset" }),
    ));
  it("reset in the middle of the body", () =>
    underFault("TCP reset mid-body (after 200 bytes)", unavailable("the weather service could not be reached"), () =>
      proxy.setFault({ kind: "cut", afterBytes: 200 }),
    ));
  it("slow drip of the geocoding answer", () =>
    underFault(
      "geocoding: slow drip (8 bytes every 50 ms)",
      unavailable("the weather service did not answer in time"),
      on("geocoding", { kind: "drip", intervalMs: 50, chunkBytes: 8 }),
    ));
  it("slow drip of the forecast through the proxy", () =>
    underFault(
      "both APIs: slow drip through a proxy (16 bytes every 100 ms)",
      unavailable("the weather service did not answer in time"),
      () => proxy.setFault({ kind: "drip", bytes: 16, intervalMs: 100 }),
    ));
  it("geocoding never answers", () =>
    underFault(
      "geocoding: no answer (hang)",
      unavailable("the weather service did not answer in time"),
      on("geocoding", { kind: "hang" }),
    ));
  it("forecast never answers (after a good geocoding answer)", () =>
    underFault(
      "forecast: no answer (hang)",
      unavailable("the weather service did not answer in time"),
      on("forecast", { kind: "hang" }),
    ));
  it("429", () =>
    underFault(
      "geocoding: 429",
      unavailable("the weather service is receiving too many requests; try again in a minute"),
      on("geocoding", {
        kind: "status",
        status: 429,
        body: { error: true, reason: "Minutely API request limit exceeded. Please try again in one minute." },
      }),
    ));
  it("500", () =>
    underFault(
      "forecast: 500",
      unavailable("the weather service had an internal error, HTTP 500"),
      on("forecast", { kind: "status", status: 500, body: "Internal Server Error" }),
    ));
  it("503", () =>
    underFault(
      "geocoding: 503",
      unavailable("the weather service had an internal error, HTTP 503"),
      on("geocoding", { kind: "status", status: 503, body: "" }),
    ));
  it("400 with a reason", () =>
    underFault(
      "forecast: 400 with a reason",
      unavailable("the weather service rejected the request: Latitude must be in range of -90 to 90°. Given: 91.0."),
      on("forecast", {
        kind: "status",
        status: 400,
        body: { error: true, reason: "Latitude must be in range of -90 to 90°. Given: 91.0." },
      }),
    ));
  it("malformed JSON", () =>
    underFault(
      "forecast: malformed JSON",
      unavailable("the weather service sent a reply that could not be read"),
      on("forecast", { kind: "malformed-json" }),
    ));

  it("a burst of 20 concurrent Dify calls while geocoding answers 429, then after recovery: every call answered 200 with a sentence", async () => {
    const places = [
      "Paris",
      "Berlin",
      "Tokyo",
      "London",
      "Sydney",
      "New York",
      "Reykjavík",
      "São Paulo",
      "Springfield, IL",
      "Paris, Texas",
    ];
    fake.reset();
    fake.script("geocoding", {
      kind: "status",
      status: 429,
      body: { error: true, reason: "Minutely API request limit exceeded." },
    });
    const limited = await Promise.all(places.flatMap((place) => [ask(app, place), ask(app, place)]));
    fake.reset();
    const recovered = await Promise.all(places.flatMap((place) => [ask(app, place), ask(app, place)]));
    const limitedCount = limited.filter((answer) => answer.result.includes("receiving too many requests")).length;
    const reports = recovered.filter((answer) => answer.result.startsWith("Current weather in")).length;
    rows.push({
      fault: "20 concurrent calls (10 places) while geocoding answers 429",
      result: `${limitedCount}/20 rate-limit sentences`,
      ms: Math.max(...limited.map((answer) => answer.ms)),
    });
    rows.push({
      fault: "the same 20 calls after recovery",
      result: `${reports}/20 weather reports`,
      ms: Math.max(...recovered.map((answer) => answer.ms)),
    });
    expect(limitedCount).toBe(20);
    expect(reports).toBe(20);
    expect(Math.max(...limited.map((answer) => answer.ms), ...recovered.map((answer) => answer.ms))).toBeLessThan(
      loadedBudgetMs(BUDGET_MS),
    );
  });

  it("is still up afterwards", () => {
    expect(app.child.exitCode).toBeNull();
  });
});
