import { describe, expect, it } from "vitest";
import * as format from "./format.ts";
import type { Forecast } from "./open-meteo.ts";
import type { GeoPlace } from "./place.ts";
import { isWellFormed } from "./text.ts";

const PLACE: GeoPlace = { name: "Oslo", latitude: 59.91, longitude: 10.75, admin1: "Oslo", country: "Norway" };

function forecast(days: number, overrides: Partial<Forecast> = {}): Forecast {
  const time = Array.from({ length: days }, (_, i) => `2026-01-${String(10 + i).padStart(2, "0")}`);
  return {
    utc_offset_seconds: 3600,
    timezone: "Europe/Oslo",
    timezone_abbreviation: "CET",
    current_units: { temperature_2m: "°C", wind_speed_10m: "km/h", precipitation: "mm" },
    current: {
      time: "2026-01-10T08:45",
      temperature_2m: -3.04,
      apparent_temperature: -7.5,
      relative_humidity_2m: 91,
      weather_code: 73,
      wind_speed_10m: 18.4,
      wind_direction_10m: 10,
      precipitation: 0.4,
      is_day: 0,
    },
    daily_units: { temperature_2m_max: "°C", precipitation_sum: "mm" },
    daily: {
      time,
      weather_code: time.map(() => 71),
      temperature_2m_max: time.map(() => 1.6),
      temperature_2m_min: time.map(() => -6.4),
      precipitation_sum: time.map(() => 2.25),
      precipitation_probability_max: time.map(() => 70),
    },
    ...overrides,
  };
}

describe("compassPoint", () => {
  it.each([
    [0, "N"],
    [11, "N"],
    [12, "NNE"],
    [45, "NE"],
    [180, "S"],
    [202.5, "SSW"],
    [270, "W"],
    [349, "N"],
    [360, "N"],
    [-90, "W"],
    [450, "E"],
  ])("%d° is %s", (degrees, point) => {
    expect(format.compassPoint(degrees)).toBe(point);
  });
});

describe("formatWeatherReport", () => {
  it("says where, when, what now and what next, with units and attribution", () => {
    const text = format.formatWeatherReport(PLACE, forecast(2), "metric");
    expect(text).toBe(
      "Current weather in Oslo, Norway (local time Sat 10 Jan 08:45 CET): -3°C (feels like -7.5°C), " +
        "moderate snowfall (night), humidity 91%, wind 18 km/h from N, precipitation 0.4 mm. " +
        "Outlook: Today: light snowfall, -6 to 2°C, 70% chance of precipitation (2.25 mm); " +
        "Sun: light snowfall, -6 to 2°C, 70% chance of precipitation (2.25 mm). " +
        format.ATTRIBUTION,
    );
  });

  it("leaves out readings the reply does not carry and falls back to the UTC offset", () => {
    const base = forecast(0);
    const text = format.formatWeatherReport(
      PLACE,
      {
        ...base,
        timezone_abbreviation: "",
        utc_offset_seconds: 19_800,
        current_units: undefined,
        current: { time: "2026-01-10T08:45", temperature_2m: 20, weather_code: null },
        daily: undefined,
      },
      "imperial",
    );
    expect(text).toBe(
      `Current weather in Oslo, Norway (local time Sat 10 Jan 08:45 UTC+05:30): 20°F, unknown conditions. ${format.ATTRIBUTION}`,
    );
  });

  it("says calm for no wind and no precipitation for zero", () => {
    const base = forecast(0);
    const text = format.formatWeatherReport(
      PLACE,
      { ...base, current: { ...base.current, wind_speed_10m: 0.3, precipitation: 0, is_day: 1 } },
      "metric",
    );
    expect(text).toContain("moderate snowfall, humidity 91%, calm, no precipitation.");
  });

  it("drops outlook days from the end to stay within the limit", () => {
    const text = format.formatWeatherReport(PLACE, forecast(16), "metric");
    expect(text.length).toBeLessThanOrEqual(format.MAX_RESULT_LENGTH);
    expect(text).toContain("Outlook: Today: light snowfall");
    expect(text.endsWith(`. ${format.ATTRIBUTION}`)).toBe(true);
    expect(text).not.toMatch(/; \./);
    const days = text.split("; ").length;
    expect(days).toBeGreaterThan(1);
    expect(days).toBeLessThan(16);
  });

  it("shortens an absurdly long description at a word but keeps the attribution", () => {
    const longName = `${"Llanfair ".repeat(80)}Gogogoch`;
    const text = format.formatWeatherReport({ ...PLACE, name: longName }, forecast(3), "metric");
    expect(text.length).toBeLessThanOrEqual(format.MAX_RESULT_LENGTH);
    expect(text).not.toContain("Outlook");
    expect(text.endsWith(`Llanfair… ${format.ATTRIBUTION}`)).toBe(true);
  });

  it("never splits a surrogate pair when shortening", () => {
    const text = format.formatWeatherReport({ ...PLACE, name: "🌧".repeat(400) }, forecast(3), "metric");
    expect(text.length).toBeLessThanOrEqual(format.MAX_RESULT_LENGTH);
    expect(isWellFormed(text)).toBe(true);
  });
});

describe("failure sentences", () => {
  it("quote the place as given, shortened when very long", () => {
    expect(format.notFoundMessage("  Atlantis ")).toBe("No weather found for 'Atlantis'.");
    const long = format.notFoundMessage(`Atlantis ${"x".repeat(500)}`);
    // No space near the cut: the run of x is cut mid-word; with one, the cut falls at the space.
    expect(long).toBe(`No weather found for 'Atlantis ${"x".repeat(50)}…'.`);
    expect(format.notFoundMessage(`Lake ${"Tahoe ".repeat(20)}`)).toBe(
      `No weather found for 'Lake ${"Tahoe ".repeat(8)}Tahoe…'.`,
    );
  });

  it.each([
    ["timeout", undefined, undefined, "(the weather service did not answer in time)"],
    ["network", undefined, undefined, "(the weather service could not be reached)"],
    ["rate-limited", 429, undefined, "try again in a minute"],
    ["http", 503, undefined, "internal error, HTTP 503"],
    ["http", 404, undefined, "answered with HTTP 404"],
    ["rejected", 400, "Bad \n\u0000 thing", "rejected the request: Bad thing)"],
    ["malformed", 200, undefined, "could not be read"],
    ["shape", undefined, undefined, "could not be read"],
    ["internal", undefined, undefined, "internal error"],
  ] as const)("explain %s", (kind, status, reason, expected) => {
    const text = format.unavailableMessage("Paris", kind, status, reason);
    expect(text.startsWith("Weather for 'Paris' is unavailable right now (")).toBe(true);
    expect(text).toContain(expected);
    expect(text.endsWith(").")).toBe(true);
  });
});
