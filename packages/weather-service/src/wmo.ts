/**
 * WMO weather interpretation codes (WW) as used by Open-Meteo's `weather_code`, in plain English.
 * Open-Meteo documents exactly these codes; anything else is reported as unknown.
 */
export const WMO_DESCRIPTIONS: Readonly<Record<number, string>> = Object.freeze({
  0: "clear sky",
  1: "mainly clear",
  2: "partly cloudy",
  3: "overcast",
  45: "fog",
  48: "freezing fog",
  51: "light drizzle",
  53: "moderate drizzle",
  55: "dense drizzle",
  56: "light freezing drizzle",
  57: "dense freezing drizzle",
  61: "light rain",
  63: "moderate rain",
  65: "heavy rain",
  66: "light freezing rain",
  67: "heavy freezing rain",
  71: "light snowfall",
  73: "moderate snowfall",
  75: "heavy snowfall",
  77: "snow grains",
  80: "light rain showers",
  81: "moderate rain showers",
  82: "violent rain showers",
  85: "light snow showers",
  86: "heavy snow showers",
  95: "thunderstorm",
  96: "thunderstorm with light hail",
  99: "thunderstorm with heavy hail",
});

/** Every WMO code Open-Meteo can return. */
export const WMO_CODES: readonly number[] = Object.freeze(Object.keys(WMO_DESCRIPTIONS).map(Number));

/** Words for a WMO code, e.g. `61` → `"light rain"`; unknown or missing codes → `"unknown conditions"`. */
export function describeWeatherCode(code: number | null | undefined): string {
  if (code === null || code === undefined) return "unknown conditions";
  return WMO_DESCRIPTIONS[code] ?? "unknown conditions";
}
