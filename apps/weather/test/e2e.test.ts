import { fileURLToPath } from "node:url";
import { difyCall, logRecords, startAppProcess, startupFailure } from "@dify-ext/test-support/app-process";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { KEY, OPEN_METEO_KEY, weatherCases, weatherEnv } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
/** Start-up checks send no weather question: any valid URL does. */
const UNUSED_URL = "http://127.0.0.1:9";

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
weatherCases(nodeTransport(appDir));

describe("weather start-up (Node)", () => {
  it("starts with no configuration at all, using the development key", async () => {
    // No Open-Meteo URL: the defaults point at the internet, so this test sends no weather question.
    const env: Record<string, string> = { LOG_LEVEL: "info" };
    for (const name of [
      "OPEN_METEO_GEOCODING_URL",
      "OPEN_METEO_FORECAST_URL",
      "OPEN_METEO_API_KEY",
      "WEATHER_UNITS",
      "WEATHER_TIMEOUT_MS",
    ])
      env[name] = "";
    const app = await startAppProcess({ cwd: appDir, env });
    try {
      const ping = await difyCall(app.receiveUrl, "dify-ext-dev-key", "ping", {});
      expect(await ping.text()).toBe('{"result":"pong"}');
      expect(logRecords(app).find((r) => r.msg === "weather service ready")).toMatchObject({
        geocodingBaseUrl: "https://geocoding-api.open-meteo.com",
        forecastBaseUrl: "https://api.open-meteo.com",
        units: "metric",
        timeoutMs: 3000,
        apiKeySet: false,
      });
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it("exits 1 naming WEATHER_UNITS when it is not metric or imperial", async () => {
    const message = await startupFailure({ cwd: appDir, env: weatherEnv(UNUSED_URL, { WEATHER_UNITS: "kelvin" }) });
    expect(message).toContain("exited with code 1");
    expect(message).toContain("WEATHER_UNITS: expected metric or imperial");
    expect(message).not.toContain(OPEN_METEO_KEY);
  });

  it("exits 1 naming every bad URL and number, never echoing values", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: weatherEnv(UNUSED_URL, {
        OPEN_METEO_FORECAST_URL: "api.open-meteo.com",
        OPEN_METEO_GEOCODING_URL: `https://customer-geocoding-api.open-meteo.com/?apikey=${OPEN_METEO_KEY}`,
        WEATHER_TIMEOUT_MS: "60000",
        WEATHER_FORECAST_DAYS: "0",
        WEATHER_CACHE_MAX: "lots",
      }),
    });
    expect(message).toContain("exited with code 1");
    for (const name of [
      "OPEN_METEO_FORECAST_URL",
      "OPEN_METEO_GEOCODING_URL",
      "WEATHER_TIMEOUT_MS",
      "WEATHER_FORECAST_DAYS",
      "WEATHER_CACHE_MAX",
    ]) {
      expect(message).toContain(`${name}: `);
    }
    expect(message).toContain("OPEN_METEO_FORECAST_URL: expected an absolute http(s) URL");
    expect(message).toContain("WEATHER_TIMEOUT_MS: expected a whole number from 100 to 25000");
    expect(message).not.toContain(OPEN_METEO_KEY);
  });

  it("exits 1 for a non-http URL scheme", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: weatherEnv(UNUSED_URL, { OPEN_METEO_GEOCODING_URL: "ftp://geocoding.example.com" }),
    });
    expect(message).toMatch(/exited with code 1[\s\S]*OPEN_METEO_GEOCODING_URL: expected an http\(s\) URL/);
  });
});

describe("per-app weather settings from WEATHER_APPS_FILE (Node)", () => {
  it("refuses a broken file at start-up naming the app and the field, and reloads a good edit", async () => {
    const { mkdtemp, rename, rm, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "dify-ext-weather-apps-"));
    const file = join(dir, "apps.yaml");
    try {
      await writeFile(file, "apps:\n  us-app: { units: kelvin }\n");
      const message = await startupFailure({ cwd: appDir, env: weatherEnv(UNUSED_URL, { WEATHER_APPS_FILE: file }) });
      expect(message).toContain("exited with code 1");
      expect(message).toContain(String.raw`apps.yaml: apps.\"us-app\".units: expected metric or imperial`);

      await writeFile(file, "apps:\n  us-app: { location_variable: city }\n");
      const app = await startAppProcess({ cwd: appDir, env: weatherEnv(UNUSED_URL, { WEATHER_APPS_FILE: file }) });
      try {
        const ask = async () => {
          const params = { app_id: "us-app", tool_variable: "weather", inputs: {}, query: "" };
          const response = await difyCall(app.receiveUrl, KEY, "app.external_data_tool.query", params);
          return ((await response.json()) as { result: string }).result;
        };
        expect(await ask()).toBe("No location was given: set the 'city' input to a city name.");
        await writeFile(`${file}.tmp`, "apps:\n  us-app: { location_variable: town }\n");
        await rename(`${file}.tmp`, file);
        let reloaded = false;
        for (let attempt = 0; attempt < 200 && !reloaded; attempt++) {
          reloaded = (await ask()).includes("'town'");
          if (!reloaded) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(reloaded).toBe(true);
      } finally {
        expect(await app.stop()).toBe(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
