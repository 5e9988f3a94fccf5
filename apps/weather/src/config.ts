import { type CommonConfig, type Env, integerVar, parseAppEnv, portVar } from "@dify-ext/server";
import { z } from "zod";
import { DEFAULT_FORECAST_BASE_URL, DEFAULT_GEOCODING_BASE_URL, type ResolvedSettings } from "@dify-ext/weather-service";

/** Port of the weather app when `PORT` is not set. */
export const DEFAULT_PORT = 3004;

const DAY_MS = 86_400_000;

/** An http(s) base URL without query or fragment; the value is never echoed (it may hold a customer host). */
const baseUrlVar = (fallback: string) =>
  z
    .string()
    .transform((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: "custom", message: "expected an absolute http(s) URL such as https://api.open-meteo.com" });
        return z.NEVER;
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        ctx.addIssue({ code: "custom", message: `expected an http(s) URL, got the scheme "${url.protocol.slice(0, 20)}"` });
        return z.NEVER;
      }
      if (url.search || url.hash) {
        ctx.addIssue({ code: "custom", message: "expected a base URL without a query or fragment (the API key goes in OPEN_METEO_API_KEY)" });
        return z.NEVER;
      }
      if (url.username || url.password) {
        ctx.addIssue({ code: "custom", message: "expected a URL without user name or password" });
        return z.NEVER;
      }
      return value.replace(/\/+$/, "");
    })
    .default(fallback);

/** The weather app's own variables (the shared ones are read by `parseAppEnv`). */
export const weatherEnvSchema = z.object({
  PORT: portVar(DEFAULT_PORT),
  WEATHER_LOCATION_VARIABLE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
      error: "expected a Dify variable name: letters, digits and underscores, not starting with a digit, at most 64 characters",
    })
    .default("location"),
  WEATHER_UNITS: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(["metric", "imperial"], { error: "expected metric or imperial" }))
    .default("metric"),
  WEATHER_LANGUAGE: z
    .string()
    .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/, { error: "expected a language code such as en, de or pt-BR" })
    .transform((value) => value.toLowerCase())
    .default("en"),
  WEATHER_FORECAST_DAYS: integerVar(3, 1, 16),
  WEATHER_TIMEOUT_MS: integerVar(3000, 100, 25_000),
  WEATHER_CACHE_TTL_MS: integerVar(600_000, 1, DAY_MS),
  WEATHER_GEOCODE_TTL_MS: integerVar(DAY_MS, 1, 30 * DAY_MS),
  WEATHER_NOT_FOUND_TTL_MS: integerVar(600_000, 1, 30 * DAY_MS),
  WEATHER_CACHE_MAX: integerVar(1000, 1, 1_000_000),
  OPEN_METEO_GEOCODING_URL: baseUrlVar(DEFAULT_GEOCODING_BASE_URL),
  OPEN_METEO_FORECAST_URL: baseUrlVar(DEFAULT_FORECAST_BASE_URL),
  OPEN_METEO_API_KEY: z.string().optional(),
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
}

/**
 * Reads and validates every env var of the weather app at once (the shared ones included); throws
 * a `ConfigError` with one line per bad variable, naming it and never echoing its value.
 * With no variables set at all, the app runs against Open-Meteo's free API on port 3004.
 */
export function loadConfig(env: Env): WeatherConfig {
  const { common, app } = parseAppEnv(weatherEnvSchema, env);
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
      geocodingBaseUrl: app.OPEN_METEO_GEOCODING_URL,
      forecastBaseUrl: app.OPEN_METEO_FORECAST_URL,
      ...(app.OPEN_METEO_API_KEY ? { apiKey: app.OPEN_METEO_API_KEY } : {}),
    },
  };
}
