// The weather service's settings, each default and bound written once: `createWeatherService`
// checks its options against this table, and the app's env schema is built from it, so the two
// cannot drift apart.
import type { Units } from "./open-meteo.ts";

/** The service's settings once defaults are applied (the API key apart). */
export interface ResolvedSettings {
  geocodingBaseUrl: string;
  forecastBaseUrl: string;
  units: Units;
  language: string;
  forecastDays: number;
  timeoutMs: number;
  weatherTtlMs: number;
  geocodeTtlMs: number;
  notFoundTtlMs: number;
  cacheMax: number;
  cacheMaxBytes: number;
  locationVariable: string;
}

/** A setting's value after checking (and normalising, e.g. lower case), or what was expected instead. */
export type CheckedSetting<T> = { ok: true; value: T } | { ok: false; problem: string };

/** One setting: its default and the check every value given for it must pass. */
export interface SettingDefinition<T> {
  readonly default: T;
  /** Never quotes the value (it may be a customer host); the problem reads "expected …". */
  readonly check: (value: unknown) => CheckedSetting<T>;
}

/** A whole number within inclusive bounds. */
export interface IntegerSetting extends SettingDefinition<number> {
  readonly min: number;
  readonly max: number;
}

/** A text matching a pattern. */
export interface PatternSetting extends SettingDefinition<string> {
  readonly pattern: RegExp;
}

/** One of a few words (matched without regard to case). */
export interface ChoiceSetting<V extends string> extends SettingDefinition<V> {
  readonly values: readonly V[];
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const ok = <T>(value: T): CheckedSetting<T> => ({ ok: true, value });
const expected = (what: string): CheckedSetting<never> => ({ ok: false, problem: `expected ${what}` });

function integerSetting(fallback: number, min: number, max: number): IntegerSetting {
  return {
    default: fallback,
    min,
    max,
    check: (value) =>
      typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
        ? ok(value)
        : expected(`a whole number from ${min} to ${max}`),
  };
}

function patternSetting(
  fallback: string,
  pattern: RegExp,
  what: string,
  normalise = (text: string) => text,
): PatternSetting {
  return {
    default: fallback,
    pattern,
    check: (value) => (typeof value === "string" && pattern.test(value) ? ok(normalise(value)) : expected(what)),
  };
}

function choiceSetting<V extends string>(fallback: V, values: readonly V[]): ChoiceSetting<V> {
  return {
    default: fallback,
    values,
    check(value) {
      const lower = typeof value === "string" ? value.toLowerCase() : undefined;
      const found = values.find((choice) => choice === lower);
      return found === undefined ? expected(values.join(" or ")) : ok(found);
    },
  };
}

/** An absolute http(s) URL without query, fragment or user info; trailing slashes are dropped. */
function baseUrlSetting(fallback: string): SettingDefinition<string> {
  return {
    default: fallback,
    check(value) {
      if (typeof value !== "string") return expected("an absolute http(s) URL such as https://api.open-meteo.com");
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return expected("an absolute http(s) URL such as https://api.open-meteo.com");
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return expected(`an http(s) URL, got the scheme "${url.protocol.slice(0, 20)}"`);
      }
      if (url.search || url.hash) {
        return expected("a base URL without a query or fragment (the API key is a setting of its own)");
      }
      if (url.username || url.password) return expected("a URL without user name or password");
      return ok(value.replace(/\/+$/, ""));
    },
  };
}

/**
 * Every setting of {@link createWeatherService}: default and bounds (or pattern, or choices), and
 * the check a value must pass. The one place these numbers are written.
 */
export const WEATHER_SETTINGS = {
  geocodingBaseUrl: baseUrlSetting("https://geocoding-api.open-meteo.com"),
  forecastBaseUrl: baseUrlSetting("https://api.open-meteo.com"),
  units: choiceSetting<Units>("metric", ["metric", "imperial"]),
  language: patternSetting(
    "en",
    /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/,
    "a language code such as en, de or pt-BR",
    (text) => text.toLowerCase(),
  ),
  locationVariable: patternSetting(
    "location",
    /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    "a Dify variable name: letters, digits and underscores, not starting with a digit, at most 64 characters",
  ),
  forecastDays: integerSetting(3, 1, 16),
  // Two sequential calls must stay well inside Dify's 60 s read timeout.
  timeoutMs: integerSetting(3000, 100, 25_000),
  weatherTtlMs: integerSetting(10 * MINUTE_MS, 1, DAY_MS),
  geocodeTtlMs: integerSetting(DAY_MS, 1, 30 * DAY_MS),
  // Capped at geocodeTtlMs by the service.
  notFoundTtlMs: integerSetting(10 * MINUTE_MS, 1, 30 * DAY_MS),
  cacheMax: integerSetting(1000, 1, 1_000_000),
  // Everything a cache keeps counts (keys, and what upstream answered): 16 MiB holds thousands of
  // entries; a reply of the 512 KiB the client accepts takes about 1 MiB.
  cacheMaxBytes: integerSetting(16 * 1024 * 1024, 65_536, 1024 * 1024 * 1024),
} as const satisfies { [N in keyof ResolvedSettings]: SettingDefinition<ResolvedSettings[N]> };

/** Names of the settings in {@link WEATHER_SETTINGS}. */
export type WeatherSettingName = keyof ResolvedSettings;

// The same table, typed so that a setting's name gives its value's type.
const definitions: { readonly [N in WeatherSettingName]: SettingDefinition<ResolvedSettings[N]> } = WEATHER_SETTINGS;

/** Check (and normalise) one value for the setting `name` against {@link WEATHER_SETTINGS}. */
export function checkWeatherSetting<N extends WeatherSettingName>(
  name: N,
  value: unknown,
): CheckedSetting<ResolvedSettings[N]> {
  return definitions[name].check(value);
}

/** The default of the setting `name`. */
export function weatherSettingDefault<N extends WeatherSettingName>(name: N): ResolvedSettings[N] {
  return definitions[name].default;
}

/**
 * The value of `name` from `options` (its default when absent), checked against
 * {@link WEATHER_SETTINGS}. Throws a RangeError (a number out of bounds) or TypeError naming the
 * setting, prefixed with `caller`.
 */
export function resolveWeatherSetting<N extends WeatherSettingName>(
  caller: string,
  name: N,
  value: unknown,
): ResolvedSettings[N] {
  if (value === undefined) return weatherSettingDefault(name);
  const checked = checkWeatherSetting(name, value);
  if (checked.ok) return checked.value;
  const shown = typeof value === "number" ? `, got ${value}` : "";
  const ErrorType = typeof value === "number" ? RangeError : TypeError;
  throw new ErrorType(`${caller}: ${name}: ${checked.problem}${shown}`);
}
