import { describe, expect, it } from "vitest";
import { createWeatherService, type IntegerSetting, WEATHER_SETTINGS, type WeatherServiceOptions } from "./index.ts";

const integerSettings = Object.entries(WEATHER_SETTINGS).filter(
  (entry): entry is [keyof WeatherServiceOptions, IntegerSetting] => "min" in entry[1],
);

describe("WEATHER_SETTINGS", () => {
  it("is what createWeatherService uses by default", () => {
    const defaults = Object.fromEntries(
      Object.entries(WEATHER_SETTINGS).map(([name, setting]) => [name, setting.default]),
    );
    expect(createWeatherService().settings).toEqual(defaults);
  });

  it.each(integerSettings)("bounds %s for createWeatherService, both ends included", (name, setting) => {
    expect(setting.default).toBeGreaterThanOrEqual(setting.min);
    expect(setting.default).toBeLessThanOrEqual(setting.max);
    // notFoundTtlMs is capped at geocodeTtlMs: give the largest geocodeTtlMs so the bound shows.
    const base = { geocodeTtlMs: WEATHER_SETTINGS.geocodeTtlMs.max };
    expect(createWeatherService({ ...base, [name]: setting.min }).settings[name as "cacheMax"]).toBe(setting.min);
    expect(createWeatherService({ ...base, [name]: setting.max }).settings[name as "cacheMax"]).toBe(setting.max);
    for (const bad of [setting.min - 1, setting.max + 1, setting.min + 0.5]) {
      expect(() => createWeatherService({ [name]: bad })).toThrow(RangeError);
      expect(() => createWeatherService({ [name]: bad })).toThrow(
        new RegExp(`${name}: expected a whole number from ${setting.min} to ${setting.max}`),
      );
    }
  });

  it("normalises like the env does: units in any case, language in lower case, URLs without a trailing slash", () => {
    const settings = createWeatherService({
      units: "Imperial" as "imperial",
      language: "pt-BR",
      forecastBaseUrl: "https://customer-api.open-meteo.com/",
    }).settings;
    expect(settings).toMatchObject({
      units: "imperial",
      language: "pt-br",
      forecastBaseUrl: "https://customer-api.open-meteo.com",
    });
  });

  it.each([
    [{ locationVariable: "my location" }, /locationVariable: expected a Dify variable name/],
    [{ locationVariable: "" }, /locationVariable/],
    [
      { forecastBaseUrl: "https://user:pw@api.open-meteo.com" },
      /forecastBaseUrl: expected a URL without user name or password/,
    ],
    [{ geocodingBaseUrl: "https://geocoding-api.open-meteo.com/?apikey=x" }, /without a query or fragment/],
    [{ units: 3 }, /units: expected metric or imperial/],
  ])("refuses %j with the same words as the env", (options, message) => {
    expect(() => createWeatherService(options as WeatherServiceOptions)).toThrow(message);
  });
});
