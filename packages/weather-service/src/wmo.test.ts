import { describe, expect, it } from "vitest";
import { describeWeatherCode, WMO_CODES } from "./wmo.ts";

// Every code Open-Meteo documents for `weather_code`.
const DOCUMENTED = [
  0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75, 77, 80, 81, 82, 85, 86, 95, 96, 99,
];

describe("WMO weather codes", () => {
  it("maps exactly the documented codes", () => {
    expect([...WMO_CODES].sort((a, b) => a - b)).toEqual(DOCUMENTED);
  });

  it.each(DOCUMENTED)("describes code %i in words", (code) => {
    const words = describeWeatherCode(code);
    expect(words).toMatch(/^[a-z ]+$/);
    expect(words).not.toBe("unknown conditions");
  });

  it("gives distinct words to every code", () => {
    expect(new Set(DOCUMENTED.map(describeWeatherCode)).size).toBe(DOCUMENTED.length);
  });

  it("names the intensity and kind where the code carries it", () => {
    expect(describeWeatherCode(0)).toBe("clear sky");
    expect(describeWeatherCode(61)).toBe("light rain");
    expect(describeWeatherCode(65)).toBe("heavy rain");
    expect(describeWeatherCode(75)).toBe("heavy snowfall");
    expect(describeWeatherCode(99)).toBe("thunderstorm with heavy hail");
  });

  it("reports unknown or missing codes as unknown", () => {
    for (const code of [4, 42, 100, -1, null, undefined]) expect(describeWeatherCode(code)).toBe("unknown conditions");
  });
});
