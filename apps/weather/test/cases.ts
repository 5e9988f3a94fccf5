import { difyCall, logRecords } from "@dify-ext/test-support/app-process";
import { startAppForSuite } from "@dify-ext/test-support/app-suite";
import { difyClient, expectKeyRefused } from "@dify-ext/test-support/dify";
import {
  type FakeBehaviour,
  type FakeEndpoint,
  type FakeOpenMeteo,
  startFakeOpenMeteo,
} from "@dify-ext/test-support/fake-open-meteo";
import { GENEROUS_TIMEOUT_MS, loadedBudgetMs } from "@dify-ext/test-support/budget";
import type { RunningTarget, Transport } from "@dify-ext/test-support/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The weather app's end-to-end cases against a fake Open-Meteo on loopback, run against every
 * transport (the Node process and the Worker in workerd): one suite, two transports.
 */
export const KEY = "weather-e2e-key-0123";
export const OPEN_METEO_KEY = "om-customer-secret-4711";
/** Open-Meteo answers in time in the groups that need an answer, however busy the machine. */
const TIMEOUT_MS = GENEROUS_TIMEOUT_MS;
/**
 * The failure group's timeout: short, so a hang costs little, yet long enough that the good answer
 * after each failure comes in time on a loaded machine.
 */
const FAILURE_TIMEOUT_MS = 2000;
const POINT = "app.external_data_tool.query";
const ATTRIBUTION = "Weather data by Open-Meteo.com (CC BY 4.0).";

/** The two example results of docs/weather.md, produced by the fake's fixed clock and weather. */
const PARIS_METRIC =
  "Current weather in Paris, Île-de-France, France (local time Sat 4 Jul 14:15 CEST): 22.4°C (feels like 21.9°C), partly cloudy, humidity 55%, wind 13 km/h from SW, no precipitation. Outlook: Today: light rain showers, 14–23°C, 40% chance of precipitation (1.2 mm); Sun: light rain, 12–17°C, 85% chance of precipitation (4.6 mm); Mon: overcast, 12–20°C, 10% chance of precipitation. Weather data by Open-Meteo.com (CC BY 4.0).";
const PARIS_TEXAS_IMPERIAL =
  "Current weather in Paris, Texas, United States (local time Sat 4 Jul 07:15 CDT): 88.2°F (feels like 94.1°F), mainly clear, humidity 62%, wind 9 mph from S, no precipitation. Outlook: Today: thunderstorm, 74–93°F, 55% chance of precipitation (0.33 inch); Sun: mainly clear, 73–92°F, 5% chance of precipitation; Mon: partly cloudy, 75–92°F, 5% chance of precipitation. Weather data by Open-Meteo.com (CC BY 4.0).";

/** Everything the tests pass, so that nothing from the developer's shell changes the app's settings. */
export function weatherEnv(openMeteoUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    API_KEYS: KEY,
    OPEN_METEO_GEOCODING_URL: openMeteoUrl,
    OPEN_METEO_FORECAST_URL: openMeteoUrl,
    OPEN_METEO_API_KEY: OPEN_METEO_KEY,
    WEATHER_TIMEOUT_MS: String(TIMEOUT_MS),
    WEATHER_UNITS: "metric",
    WEATHER_LANGUAGE: "en",
    WEATHER_FORECAST_DAYS: "3",
    WEATHER_LOCATION_VARIABLE: "location",
    LOG_LEVEL: "info",
    ...extra,
  };
}

const { call, expectBadRequest, expectPong } = difyClient(KEY);

/** Calls the tool exactly as Dify does and checks the reply against Dify's acceptance rules. */
async function askWeather(
  app: RunningTarget,
  inputs: unknown,
  query: string | null = "What's the weather like?",
  appId = "7d2a4c1e-app",
): Promise<string> {
  const body = await call(app, POINT, { app_id: appId, tool_variable: "weather", inputs, query });
  expect(typeof body.result).toBe("string");
  const result = body.result as string;
  expect(result.length).toBeGreaterThan(0);
  expect(result.length).toBeLessThanOrEqual(600);
  return result;
}

let placeCounter = 0;
/** A place only this test knows, so neither cache has it yet. */
function freshPlace(fake: FakeOpenMeteo): string {
  placeCounter += 1;
  const name = `Testham${String.fromCharCode(96 + placeCounter)}`;
  fake.places.add({
    id: 9_000_000 + placeCounter,
    name,
    latitude: 50 + placeCounter / 10,
    longitude: 5 + placeCounter / 10,
    country_code: "NL",
    country: "Netherlands",
    admin1: "Utrecht",
    timezone: "Europe/Amsterdam",
    population: 1000,
  });
  return name;
}

/** Every shared case, each group on its own instance of the app started through `transport`. */
export function weatherCases(transport: Transport): void {
  describe(`weather (${transport.name})`, () => {
    let fake: FakeOpenMeteo;
    beforeAll(async () => {
      fake = await startFakeOpenMeteo();
    });
    afterAll(() => fake?.close());

    describe(`weather against a fake Open-Meteo (${transport.name})`, () => {
      const app = startAppForSuite(transport, () => weatherEnv(fake.url));

      it("answers Dify's ping", async () => {
        await expectPong(app);
      });

      it("refuses a wrong or missing key with 401", async () => {
        await expectKeyRefused(app, "wrong-key-00000", POINT, { inputs: { location: "Paris" } });
        await expectKeyRefused(app, undefined);
      });

      it("answers a known city end to end: place, region, country, weather and attribution", async () => {
        const result = await askWeather(app, { location: "Paris" });
        expect(result).toBe(PARIS_METRIC);
        expect(result).toContain("Paris, Île-de-France, France");
        expect(result.endsWith(ATTRIBUTION)).toBe(true);
        // The query is not a place: the answer is the same without one (Dify sends "" or null then).
        expect(await askWeather(app, { location: "Paris" }, null)).toBe(PARIS_METRIC);
        expect(await askWeather(app, { location: "  paris " }, "")).toBe(PARIS_METRIC);
      });

      it("tells ambiguous names apart by their hints", async () => {
        expect(await askWeather(app, { location: "Paris" })).toContain(
          "Current weather in Paris, Île-de-France, France",
        );
        expect(await askWeather(app, { location: "Paris, Texas" })).toContain(
          "Current weather in Paris, Texas, United States",
        );
        expect(await askWeather(app, { location: "Paris, TN" })).toContain(
          "Current weather in Paris, Tennessee, United States",
        );
        expect(await askWeather(app, { location: "Paris, Ontario" })).toContain(
          "Current weather in Paris, Ontario, Canada",
        );
        expect(await askWeather(app, { location: "Springfield, IL" })).toContain(
          "Springfield, Illinois, United States",
        );
        expect(await askWeather(app, { location: "Paris, Narnia" })).toBe("No weather found for 'Paris, Narnia'.");
      });

      it("answers an unknown place with a sentence, not an error", async () => {
        expect(await askWeather(app, { location: "Atlantis" })).toBe("No weather found for 'Atlantis'.");
      });

      it("answers a missing, empty or non-string location with a sentence naming the variable", async () => {
        const sentence = "No location was given: set the 'location' input to a city name.";
        for (const inputs of [
          {},
          { location: "" },
          { location: "   " },
          { location: 42 },
          { location: true },
          { location: null },
          { location: ["Paris"] },
          { location: { type: "document", url: "https://example.com/paris.pdf" } },
          { city: "Paris" },
        ]) {
          expect(await askWeather(app, inputs, "weather in Paris?")).toBe(sentence);
        }
        // Dify may omit inputs altogether.
        const response = await difyCall(app.receiveUrl, KEY, POINT, {
          app_id: "a",
          tool_variable: "weather",
          query: "",
        });
        expect(await response.json()).toEqual({ result: sentence });
      });

      it("answers a second identical call from the cache", async () => {
        fake.resetCalls();
        const first = await askWeather(app, { location: "Berlin" });
        const second = await askWeather(app, { location: "Berlin" });
        expect(second).toBe(first);
        expect(first).toContain("Berlin, Land Berlin, Germany");
        expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 1 });
        const hits = logRecords(app).filter(
          (r) => r.msg === "request" && r.geocodingCache === "hit" && r.forecastCache === "hit",
        );
        expect(hits.length).toBeGreaterThan(0);
      });

      it("makes one geocoding and one forecast call for 10 concurrent identical Dify calls", async () => {
        fake.resetCalls();
        // A slow geocoding answer makes sure all ten calls arrive while the first lookup is under way.
        fake.script("geocoding", { kind: "delay", ms: 300 }, { times: 1 });
        const results = await Promise.all(Array.from({ length: 10 }, () => askWeather(app, { location: "Tokyo" })));
        expect(new Set(results).size).toBe(1);
        expect(results[0]).toContain("Current weather in Tokyo, Japan");
        expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 1 });
      });

      it("rejects the moderation points with a 400 listing the supported points", async () => {
        for (const [point, params] of [
          ["app.moderation.input", { app_id: "a", inputs: { location: "Paris" }, query: "hi" }],
          ["app.moderation.output", { app_id: "a", text: "hi" }],
        ] as const) {
          const error = await expectBadRequest(app, point, params);
          expect(error.code).toBe("unsupported_point");
          expect(error.message).toContain("this service answers: ping, app.external_data_tool.query");
        }
      });

      it("always answers one string of at most 600 characters, whatever the input", async () => {
        const inputs: unknown[] = [
          "x".repeat(10_000),
          `Paris, ${"Texas, ".repeat(500)}`,
          "São Paulo",
          "Reykjavík, Iceland",
          "東京",
          "🌧️☀️",
          "Paris\u0000\u001b[31m, Texas",
          "'; DROP TABLE places; --",
          "P",
          ",,,",
          "New York, NY, US, extra, hints",
          "\u202eParis",
        ];
        for (const location of inputs) await askWeather(app, { location, other: { nested: [1, 2, 3] } });
      });

      it("sends OPEN_METEO_API_KEY to Open-Meteo as apikey and never prints it", async () => {
        expect(fake.calls.log.length).toBeGreaterThan(0);
        expect(fake.calls.log.every((call) => call.query.apikey === OPEN_METEO_KEY)).toBe(true);
        const output = app.output.join("\n");
        expect(output).not.toContain(OPEN_METEO_KEY);
        expect(output).not.toContain(KEY);
        // End-user text stays out of the log at the default level.
        for (const place of ["Atlantis", "Tokyo", "Berlin", "Narnia"]) expect(output).not.toContain(place);
        expect(logRecords(app).find((r) => r.msg === "weather service ready")).toMatchObject({
          apiKeySet: true,
          units: "metric",
          timeoutMs: TIMEOUT_MS,
        });
      });
    });

    describe(`weather when Open-Meteo fails, within the time budget (${transport.name})`, () => {
      const app = startAppForSuite(transport, () =>
        weatherEnv(fake.url, { WEATHER_TIMEOUT_MS: String(FAILURE_TIMEOUT_MS) }),
      );

      const FAILURES: Array<{ name: string; behaviour: FakeBehaviour; kind: string; reason: string }> = [
        {
          name: "a hang",
          behaviour: { kind: "hang" },
          kind: "timeout",
          reason: "the weather service did not answer in time",
        },
        {
          name: "HTTP 500",
          behaviour: { kind: "status", status: 500, body: "Internal Server Error" },
          kind: "http",
          reason: "the weather service had an internal error, HTTP 500",
        },
        {
          name: "malformed JSON",
          behaviour: { kind: "malformed-json" },
          kind: "malformed",
          reason: "the weather service sent a reply that could not be read",
        },
      ];
      for (const endpoint of ["geocoding", "forecast"] as FakeEndpoint[]) {
        for (const failure of FAILURES) {
          it(`answers ${failure.name} from the ${endpoint} API with a sentence within the budget, and logs it`, async () => {
            const place = freshPlace(fake);
            const warnings = () =>
              logRecords(app).filter(
                (r) => r.level === "warn" && r.upstream === `open-meteo-${endpoint}` && r.kind === failure.kind,
              ).length;
            const accessLines = () =>
              logRecords(app).filter(
                (r) =>
                  r.msg === "request" &&
                  r.outcome === "upstream_error" &&
                  r.upstream === `open-meteo-${endpoint}` &&
                  r.upstreamFailure === failure.kind,
              ).length;
            const [warningsBefore, accessBefore] = [warnings(), accessLines()];
            fake.script(endpoint, failure.behaviour, { times: 1 });
            const started = performance.now();
            const result = await askWeather(app, { location: place });
            // At most two upstream requests of FAILURE_TIMEOUT_MS each, with room for a busy machine.
            expect(performance.now() - started).toBeLessThan(loadedBudgetMs(2 * FAILURE_TIMEOUT_MS));
            expect(result).toBe(`Weather for '${place}' is unavailable right now (${failure.reason}).`);

            // One warning for the operator, and the access log line says what happened, without the place.
            await expect.poll(warnings, { timeout: 5_000 }).toBe(warningsBefore + 1);
            await expect.poll(accessLines, { timeout: 5_000 }).toBe(accessBefore + 1);
            expect(app.output.join("\n")).not.toContain(place);

            // Failures are not cached: once the upstream is healthy again, the same question succeeds.
            expect(await askWeather(app, { location: place })).toContain(
              `Current weather in ${place}, Utrecht, Netherlands`,
            );
          });
        }
      }
    });

    describe(`weather with imperial units and another input variable (${transport.name})`, () => {
      const app = startAppForSuite(transport, () =>
        weatherEnv(fake.url, { WEATHER_UNITS: "imperial", WEATHER_LOCATION_VARIABLE: "city" }),
      );

      it("reports °F, mph and inch", async () => {
        fake.resetCalls();
        expect(await askWeather(app, { city: "Paris, Texas" })).toBe(PARIS_TEXAS_IMPERIAL);
        expect(fake.calls.log.find((call) => call.path === "/v1/forecast")?.query).toMatchObject({
          temperature_unit: "fahrenheit",
          wind_speed_unit: "mph",
          precipitation_unit: "inch",
        });
      });

      it("reads the place from the configured variable and names it when missing", async () => {
        expect(await askWeather(app, { location: "Paris" })).toBe(
          "No location was given: set the 'city' input to a city name.",
        );
      });
    });

    describe(`per-app settings from WEATHER_APPS (${transport.name})`, () => {
      const apps = { apps: { "us-app": { units: "imperial", location_variable: "city" } } };
      const app = startAppForSuite(transport, () => weatherEnv(fake.url, { WEATHER_APPS: JSON.stringify(apps) }));

      it("answers each Dify app with its own units and location variable, and others with the env's", async () => {
        expect(await askWeather(app, { city: "Paris, Texas" }, "", "us-app")).toBe(PARIS_TEXAS_IMPERIAL);
        expect(await askWeather(app, { location: "Paris" }, "", "us-app")).toBe(
          "No location was given: set the 'city' input to a city name.",
        );
        expect(await askWeather(app, { location: "Paris" }, "", "another-app")).toBe(PARIS_METRIC);
      });
    });
  });
}
