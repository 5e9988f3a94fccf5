import { expectBoundsOf, problemsOf, refusedTogether } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { createWeatherService, WEATHER_SETTINGS } from "@dify-ext/weather-service";

const problemsOfEnv = (env: Record<string, string>) => problemsOf(() => loadConfig(env));

describe("loadConfig", () => {
  it("needs no variables at all, and its defaults are the service's", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3004);
    expect(config.common.usingDevelopmentKey).toBe(true);
    // The service's test pins the documented values; the app adds none of its own.
    expect(config.weather).toEqual(createWeatherService().settings);
    expect(createWeatherService(config.weather).settings).toEqual(createWeatherService().settings);
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "8080",
      WEATHER_LOCATION_VARIABLE: "city",
      WEATHER_UNITS: "Imperial",
      WEATHER_LANGUAGE: "pt-BR",
      WEATHER_FORECAST_DAYS: "7",
      WEATHER_TIMEOUT_MS: "2500",
      WEATHER_CACHE_TTL_MS: "60000",
      WEATHER_GEOCODE_TTL_MS: "3600000",
      WEATHER_NOT_FOUND_TTL_MS: "30000",
      WEATHER_CACHE_MAX: "50",
      WEATHER_CACHE_BYTES: "1048576",
      OPEN_METEO_GEOCODING_URL: "https://customer-geocoding-api.open-meteo.com/",
      OPEN_METEO_FORECAST_URL: "http://open-meteo.internal:8080/base",
      OPEN_METEO_API_KEY: " secret-key ",
    });
    expect(config.port).toBe(8080);
    expect(config.weather).toEqual({
      locationVariable: "city",
      units: "imperial",
      language: "pt-br",
      forecastDays: 7,
      timeoutMs: 2500,
      weatherTtlMs: 60_000,
      geocodeTtlMs: 3_600_000,
      notFoundTtlMs: 30_000,
      cacheMax: 50,
      cacheMaxBytes: 1_048_576,
      geocodingBaseUrl: "https://customer-geocoding-api.open-meteo.com",
      forecastBaseUrl: "http://open-meteo.internal:8080/base",
      apiKey: "secret-key",
    });
    // Everything loadConfig accepts, the service accepts too.
    expect(() => createWeatherService(config.weather)).not.toThrow();
  });

  it("names every bad variable at once, never echoing a value", () => {
    const bad = {
      WEATHER_LOCATION_VARIABLE: "my location",
      WEATHER_UNITS: "kelvin",
      WEATHER_LANGUAGE: "english please",
      WEATHER_FORECAST_DAYS: "17",
      WEATHER_TIMEOUT_MS: "50",
      WEATHER_CACHE_TTL_MS: "0",
      WEATHER_GEOCODE_TTL_MS: "1.5",
      WEATHER_NOT_FOUND_TTL_MS: "-1",
      WEATHER_CACHE_MAX: "many",
      OPEN_METEO_GEOCODING_URL: "geocoding-api.open-meteo.com",
      OPEN_METEO_FORECAST_URL: "https://user:hunter22@api.open-meteo.com",
      PORT: "70000",
    };
    const problems = refusedTogether(loadConfig, bad, { hidden: ["hunter22", "kelvin", "english please", "many"] });
    expect(problems).toContain("WEATHER_UNITS: expected metric or imperial");
    expect(problems).toContain("WEATHER_FORECAST_DAYS: expected a whole number from 1 to 16");
  });

  it("refuses URLs that are not plain http(s) base URLs", () => {
    for (const [value, message] of [
      ["ftp://api.open-meteo.com", /expected an http\(s\) URL/],
      ["/v1/forecast", /expected an absolute http\(s\) URL/],
      ["https://customer-api.open-meteo.com/?apikey=abc", /without a query or fragment/],
      ["https://api.open-meteo.com/#x", /without a query or fragment/],
    ] as const) {
      expect(problemsOfEnv({ OPEN_METEO_FORECAST_URL: value })).toEqual([expect.stringMatching(message)]);
    }
  });

  it("reports shared and weather variables together", () => {
    const problems = problemsOfEnv({ NODE_ENV: "production", WEATHER_UNITS: "si" });
    expect(problems.some((line) => line.startsWith("API_KEYS:"))).toBe(true);
    expect(problems.some((line) => line.startsWith("WEATHER_UNITS:"))).toBe(true);
  });

  it("takes every numeric variable's default and bounds from the service's WEATHER_SETTINGS", () => {
    const variables = {
      WEATHER_FORECAST_DAYS: WEATHER_SETTINGS.forecastDays,
      WEATHER_TIMEOUT_MS: WEATHER_SETTINGS.timeoutMs,
      WEATHER_CACHE_TTL_MS: WEATHER_SETTINGS.weatherTtlMs,
      WEATHER_GEOCODE_TTL_MS: WEATHER_SETTINGS.geocodeTtlMs,
      WEATHER_NOT_FOUND_TTL_MS: WEATHER_SETTINGS.notFoundTtlMs,
      WEATHER_CACHE_MAX: WEATHER_SETTINGS.cacheMax,
      WEATHER_CACHE_BYTES: WEATHER_SETTINGS.cacheMaxBytes,
    };
    expectBoundsOf(loadConfig, variables);
    expect(loadConfig({}).weather).toMatchObject(
      Object.fromEntries(Object.entries(WEATHER_SETTINGS).map(([name, setting]) => [name, setting.default])),
    );
  });
});
