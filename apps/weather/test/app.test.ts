import { GENEROUS_TIMEOUT_MS } from "@dify-ext/test-support/budget";
import { difyReplyProblems } from "@dify-ext/protocol";
import { createServiceMetrics, listen, type RunningServer } from "@dify-ext/runtime/node";
import { difyCall } from "@dify-ext/test-support/app-process";
import { type FakeOpenMeteo, startFakeOpenMeteo } from "@dify-ext/test-support/fake-open-meteo";
import { type RecordedLine, recordingLogger } from "@dify-ext/test-support/logger";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createWeatherService } from "@dify-ext/weather-service";

const KEY = "app-test-key-0123";
const POINT = "app.external_data_tool.query";

let fake: FakeOpenMeteo;
beforeAll(async () => {
  fake = await startFakeOpenMeteo();
});
afterAll(async () => {
  await fake.close();
});

interface Started {
  server: RunningServer;
  lines: RecordedLine[];
  url: string;
  call(inputs: unknown, extra?: Record<string, unknown>): Promise<Response>;
}

async function start(
  env: Record<string, string> = {},
  withMetrics = false,
): Promise<Started & { metrics?: ReturnType<typeof createServiceMetrics> }> {
  const config = loadConfig({
    API_KEYS: KEY,
    OPEN_METEO_GEOCODING_URL: fake.url,
    OPEN_METEO_FORECAST_URL: fake.url,
    // The fake answers in time however busy the machine; a test of a hang passes a shorter timeout.
    WEATHER_TIMEOUT_MS: String(GENEROUS_TIMEOUT_MS),
    ...env,
  });
  const lines: RecordedLine[] = [];
  const logger = recordingLogger(lines);
  const weather = createWeatherService({ ...config.weather, logger });
  const metrics = withMetrics ? createServiceMetrics({ service: "weather-test" }) : undefined;
  const app = createApp({ config, weather, logger, metrics });
  const server = await listen(app, { port: 0, host: "127.0.0.1", handleSignals: false, logger });
  const url = `http://127.0.0.1:${server.port}/api/dify/receive`;
  return {
    server,
    lines,
    url,
    metrics,
    call: (inputs, extra = {}) =>
      difyCall(url, KEY, POINT, { app_id: "app-1", tool_variable: "weather", inputs, query: "", ...extra }),
  };
}

const accessLines = (lines: RecordedLine[]) => lines.filter((line) => line.msg === "request" && line.point === POINT);

describe("createApp, in process", () => {
  let app: Started;
  beforeEach(async () => {
    fake.reset();
    app = await start();
  });
  afterEach(async () => {
    await app.server.close();
  });

  it("answers a known city with the report, accepted by Dify's rules", async () => {
    const params = { app_id: "app-1", tool_variable: "weather", inputs: { location: "Paris" }, query: "Will it rain?" };
    const response = await difyCall(app.url, KEY, POINT, params);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { result: string };
    expect(difyReplyProblems(POINT, body, params)).toEqual([]);
    expect(body.result).toMatch(
      /^Current weather in Paris, Île-de-France, France \(local time Sat 4 Jul 14:15 CEST\): 22\.4°C/,
    );
    expect(body.result).toContain("Weather data by Open-Meteo.com (CC BY 4.0).");
  });

  it("answers a place hinted with an Object.prototype member name like any unknown place", async () => {
    // A hostile review found "Paris, constructor" answering "internal error".
    const response = await app.call({ location: "Paris, constructor" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: "No weather found for 'Paris, constructor'." });
    expect(accessLines(app.lines)[0]).toMatchObject({ outcome: "not_found" });
  });

  it("puts the outcome and cache use in the access log, never the place", async () => {
    await app.call({ location: "Berlin" });
    await app.call({ location: "Berlin" });
    await app.call({ location: "Atlantis" });
    await app.call({ location: 12 });
    fake.script("forecast", { kind: "status", status: 502, body: "bad gateway" }, { times: 1 });
    await app.call({ location: "Tokyo" });

    const lines = accessLines(app.lines);
    expect(
      lines.map(({ outcome, geocodingCache, forecastCache }) => ({ outcome, geocodingCache, forecastCache })),
    ).toEqual([
      { outcome: "found", geocodingCache: "miss", forecastCache: "miss" },
      { outcome: "found", geocodingCache: "hit", forecastCache: "hit" },
      { outcome: "not_found", geocodingCache: "miss", forecastCache: undefined },
      { outcome: "missing_location", geocodingCache: undefined, forecastCache: undefined },
      { outcome: "upstream_error", geocodingCache: "miss", forecastCache: "miss" },
    ]);
    expect(lines[4]).toMatchObject({
      status: 200,
      upstream: "open-meteo-forecast",
      upstreamFailure: "http",
      upstreamStatus: 502,
    });
    // One warning for the operator about the failing upstream.
    expect(app.lines.filter((line) => line.level === "warn")).toEqual([
      expect.objectContaining({ upstream: "open-meteo-forecast", kind: "http", status: 502 }),
    ]);
    // At the default level (info) debug lines are dropped by the logger; every other line is free of end-user text.
    const text = JSON.stringify(app.lines.filter((line) => line.level !== "debug"));
    for (const place of ["Berlin", "Atlantis", "Tokyo"]) expect(text).not.toContain(place);
    for (const line of lines) expect(line).not.toHaveProperty("place");
  });

  it("marks requests that joined one already under way", async () => {
    fake.script("geocoding", { kind: "delay", ms: 100 }, { times: 1 });
    const results = await Promise.all(
      Array.from({ length: 4 }, () => app.call({ location: "Sydney" }).then((r) => r.json())),
    );
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 1 });
    const caches = accessLines(app.lines).map((line) => line.geocodingCache);
    expect(caches.filter((c) => c === "miss")).toHaveLength(1);
    expect(caches.filter((c) => c === "inflight")).toHaveLength(3);
  });

  it("rejects the moderation points with a 400 naming the points it serves", async () => {
    const input = await difyCall(app.url, KEY, "app.moderation.input", { app_id: "a", inputs: {}, query: "hi" });
    expect(input.status).toBe(400);
    expect(await input.json()).toEqual({
      error: {
        code: "unsupported_point",
        message:
          'point "app.moderation.input" is not served here; this service answers: ping, app.external_data_tool.query',
      },
    });
    expect((await difyCall(app.url, KEY, "app.moderation.output", { app_id: "a", text: "hi" })).status).toBe(400);
  });
});

describe("createApp with LOG_LEVEL=debug", () => {
  it("adds the place to the access log line", async () => {
    fake.reset();
    const app = await start({ LOG_LEVEL: "debug" });
    try {
      await app.call({ location: "Reykjavík" });
      await app.call({});
      expect(accessLines(app.lines).map((line) => line.place)).toEqual(["Reykjavík", null]);
    } finally {
      await app.server.close();
    }
  });
});

describe("createApp with metrics", () => {
  it("counts Open-Meteo calls and cache use", async () => {
    fake.reset();
    // Short enough that the hang below costs little, long enough for the good answers on a busy machine.
    const app = await start({ WEATHER_TIMEOUT_MS: "2000" }, true);
    try {
      await app.call({ location: "São Paulo" });
      await app.call({ location: "São Paulo" });
      fake.script("geocoding", { kind: "hang" }, { times: 1 });
      await app.call({ location: "New York" });
      const { body } = await app.metrics!.render();
      const value = (name: string) =>
        Number(new RegExp(`^${name.replace(/[{}]/g, "\\$&")} (\\d+)$`, "m").exec(body)?.[1] ?? 0);
      expect(
        value('dify_ext_upstream_requests_total{upstream="open-meteo-geocoding",outcome="ok",service="weather-test"}'),
      ).toBe(1);
      expect(
        value(
          'dify_ext_upstream_requests_total{upstream="open-meteo-geocoding",outcome="timeout",service="weather-test"}',
        ),
      ).toBe(1);
      expect(
        value('dify_ext_upstream_requests_total{upstream="open-meteo-forecast",outcome="ok",service="weather-test"}'),
      ).toBe(1);
      expect(
        value('dify_ext_cache_lookups_total{cache="open-meteo-geocoding",result="hit",service="weather-test"}'),
      ).toBe(1);
      expect(
        value('dify_ext_cache_lookups_total{cache="open-meteo-geocoding",result="miss",service="weather-test"}'),
      ).toBe(2);
      expect(
        value('dify_ext_cache_lookups_total{cache="open-meteo-forecast",result="hit",service="weather-test"}'),
      ).toBe(1);
      expect(
        value('dify_ext_requests_total{point="app.external_data_tool.query",status="200",service="weather-test"}'),
      ).toBe(3);
    } finally {
      await app.server.close();
    }
  });
});
