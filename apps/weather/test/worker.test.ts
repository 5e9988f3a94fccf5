import { fileURLToPath } from "node:url";
import { difyCall, logRecords } from "@dify-ext/test-support/app-process";
import { workerBasicsSuite, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { KEY, OPEN_METEO_KEY, weatherCases, weatherEnv } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
/** Configuration checks send no weather question: any valid URL does. */
const UNUSED_URL = "http://127.0.0.1:9";
const worker = workerTransport(appDir);
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
weatherCases(worker);

describe("weather as a Worker", () => {
  const { misconfiguration } = workerBasicsSuite(worker, {
    key: KEY,
    secret: OPEN_METEO_KEY,
    apiKeysRequired: { env: { OPEN_METEO_GEOCODING_URL: UNUSED_URL } },
  });

  it("names every bad variable in the 500, never echoing values", async () => {
    const message = await misconfiguration(
      weatherEnv(UNUSED_URL, {
        WEATHER_UNITS: "kelvin",
        OPEN_METEO_FORECAST_URL: "api.open-meteo.com",
        OPEN_METEO_GEOCODING_URL: `https://customer-geocoding-api.open-meteo.com/?apikey=${OPEN_METEO_KEY}`,
        WEATHER_TIMEOUT_MS: "60000",
      }),
    );
    for (const name of ["WEATHER_UNITS", "OPEN_METEO_FORECAST_URL", "OPEN_METEO_GEOCODING_URL", "WEATHER_TIMEOUT_MS"])
      expect(message).toContain(`${name}: `);
    expect(message).toContain("WEATHER_UNITS: expected metric or imperial");
  });

  it("defaults to Open-Meteo's free API and logs its settings without secrets on the first call", async () => {
    const app = await worker.start({ API_KEYS: KEY });
    try {
      expect(await (await difyCall(app.receiveUrl, KEY, "ping", {})).text()).toBe('{"result":"pong"}');
      await expect
        .poll(() => logRecords(app).find((r) => r.msg === "weather service ready"), { timeout: 10_000 })
        .toMatchObject({
          geocodingBaseUrl: "https://geocoding-api.open-meteo.com",
          forecastBaseUrl: "https://api.open-meteo.com",
          units: "metric",
          timeoutMs: 3000,
          apiKeySet: false,
        });
      expect(app.output.join("\n")).not.toContain(KEY);
    } finally {
      await app.stop();
    }
  });
});
