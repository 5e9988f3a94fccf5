import { type CommonConfig, ConfigError, type Env, parseAppEnv, portVar } from "@dify-ext/runtime";
import {
  checkWeatherSetting,
  type ResolvedSettings,
  type WeatherSettingName,
  weatherSettingDefault,
} from "@dify-ext/weather-service";
import { z } from "zod";

/** Port of the weather app when `PORT` is not set. */
export const DEFAULT_PORT = 3004;

/**
 * An env var for the weather setting `name`: its default, bounds and normalising come from the
 * service's own table (`WEATHER_SETTINGS`), so the variable and the option cannot disagree.
 * `read` turns the text into what the setting takes (a number for the numeric ones).
 */
function settingVar<N extends WeatherSettingName>(name: N, read: (text: string) => unknown = (text) => text) {
  return z
    .string()
    .transform((text, ctx): ResolvedSettings[N] => {
      const checked = checkWeatherSetting(name, read(text));
      if (checked.ok) return checked.value;
      ctx.addIssue({ code: "custom", message: checked.problem });
      return z.NEVER;
    })
    .default(weatherSettingDefault(name) as z.util.NoUndefined<Awaited<ResolvedSettings[N]>>);
}

const numberSettingVar = <N extends WeatherSettingName>(name: N) => settingVar(name, Number);

/** The weather app's own variables (the shared ones are read by `parseAppEnv`). */
export const weatherEnvSchema = z.object({
  PORT: portVar(DEFAULT_PORT),
  WEATHER_LOCATION_VARIABLE: settingVar("locationVariable"),
  WEATHER_UNITS: settingVar("units"),
  WEATHER_LANGUAGE: settingVar("language"),
  WEATHER_FORECAST_DAYS: numberSettingVar("forecastDays"),
  WEATHER_TIMEOUT_MS: numberSettingVar("timeoutMs"),
  WEATHER_CACHE_TTL_MS: numberSettingVar("weatherTtlMs"),
  WEATHER_GEOCODE_TTL_MS: numberSettingVar("geocodeTtlMs"),
  WEATHER_NOT_FOUND_TTL_MS: numberSettingVar("notFoundTtlMs"),
  WEATHER_CACHE_MAX: numberSettingVar("cacheMax"),
  WEATHER_CACHE_BYTES: numberSettingVar("cacheMaxBytes"),
  OPEN_METEO_GEOCODING_URL: settingVar("geocodingBaseUrl"),
  OPEN_METEO_FORECAST_URL: settingVar("forecastBaseUrl"),
  OPEN_METEO_API_KEY: z.string().optional(),
  WEATHER_APPS_FILE: z.string().optional(),
  WEATHER_APPS: z.string().optional(),
});

/** The weather service's settings, as `createWeatherService` takes them (without `fetch` and `logger`). */
export interface WeatherSettings extends ResolvedSettings {
  /** Open-Meteo customer key (paid plan); never logged. */
  apiKey?: string;
}

export interface WeatherConfig {
  common: CommonConfig;
  port: number;
  weather: WeatherSettings;
  /** Per-app settings (docs/weather.md): a file's path (WEATHER_APPS_FILE), or the text itself (WEATHER_APPS). */
  apps?: { file: string } | { text: string };
}

/**
 * Reads and validates every env var of the weather app at once (the shared ones included); throws
 * a `ConfigError` with one line per bad variable, naming it and never echoing its value.
 * With no variables set at all, the app runs against Open-Meteo's free API on port 3004.
 */
export function loadConfig(env: Env): WeatherConfig {
  const { common, app } = parseAppEnv(weatherEnvSchema, env);
  if (app.WEATHER_APPS_FILE && app.WEATHER_APPS) {
    throw new ConfigError(["WEATHER_APPS_FILE, WEATHER_APPS: set one of them, not both"]);
  }
  return {
    common,
    port: app.PORT,
    weather: {
      locationVariable: app.WEATHER_LOCATION_VARIABLE,
      units: app.WEATHER_UNITS,
      language: app.WEATHER_LANGUAGE,
      forecastDays: app.WEATHER_FORECAST_DAYS,
      timeoutMs: app.WEATHER_TIMEOUT_MS,
      weatherTtlMs: app.WEATHER_CACHE_TTL_MS,
      geocodeTtlMs: app.WEATHER_GEOCODE_TTL_MS,
      notFoundTtlMs: app.WEATHER_NOT_FOUND_TTL_MS,
      cacheMax: app.WEATHER_CACHE_MAX,
      cacheMaxBytes: app.WEATHER_CACHE_BYTES,
      geocodingBaseUrl: app.OPEN_METEO_GEOCODING_URL,
      forecastBaseUrl: app.OPEN_METEO_FORECAST_URL,
      ...(app.OPEN_METEO_API_KEY ? { apiKey: app.OPEN_METEO_API_KEY } : {}),
    },
    ...(app.WEATHER_APPS_FILE && { apps: { file: app.WEATHER_APPS_FILE } }),
    ...(app.WEATHER_APPS && { apps: { text: app.WEATHER_APPS } }),
  };
}
