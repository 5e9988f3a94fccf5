/**
 * Weather lookups for the Dify external data tool: place name → one short plain-text answer,
 * from Open-Meteo's geocoding and forecast APIs, with bounded caches that also coalesce
 * concurrent identical requests. Platform-neutral: only `fetch`, web streams and timers.
 */
import { LRUCache } from "lru-cache";
import { formatWeatherReport, notFoundMessage, unavailableMessage } from "./format.ts";
import {
  type Forecast,
  fetchForecast,
  OpenMeteoError,
  searchPlaces,
  type Units,
  type UpstreamFailureKind,
  type UpstreamService,
  type UpstreamSettings,
  type WeatherLogger,
} from "./open-meteo.ts";
import {
  type GeoPlace,
  MAX_PLACE_NAME_LENGTH,
  missingLocationMessage,
  parsePlaceQuery,
  pickPlace,
  placeFromInputs,
} from "./place.ts";
import { type ResolvedSettings, resolveWeatherSetting, WEATHER_SETTINGS, type WeatherSettingName } from "./settings.ts";

export {
  ATTRIBUTION,
  compassPoint,
  formatWeatherReport,
  MAX_RESULT_LENGTH,
  notFoundMessage,
  unavailableMessage,
} from "./format.ts";
export type { Forecast, Units, UpstreamFailureKind, UpstreamService, WeatherLogger } from "./open-meteo.ts";
export { OpenMeteoError } from "./open-meteo.ts";
export type { GeoPlace, PlaceQuery } from "./place.ts";
export { missingLocationMessage, parsePlaceQuery, pickPlace, placeFromInputs, placeLabel } from "./place.ts";
export {
  type CheckedSetting,
  type ChoiceSetting,
  checkWeatherSetting,
  type IntegerSetting,
  type PatternSetting,
  type ResolvedSettings,
  type SettingDefinition,
  WEATHER_SETTINGS,
  type WeatherSettingName,
  weatherSettingDefault,
} from "./settings.ts";
export { describeWeatherCode, WMO_CODES, WMO_DESCRIPTIONS } from "./wmo.ts";

/**
 * Options of {@link createWeatherService}. Every setting is optional; its default and bounds are in
 * {@link WEATHER_SETTINGS}, and a value outside them is refused with an error naming the option.
 */
export interface WeatherServiceOptions {
  /** Base URL of the geocoding API (Open-Meteo's free host by default, a customer-… host on a paid plan). */
  geocodingBaseUrl?: string;
  /** Base URL of the forecast API. */
  forecastBaseUrl?: string;
  /** `"metric"` (°C, km/h, mm) or `"imperial"` (°F, mph, inch). */
  units?: Units;
  /** Language of place, region and country names (geocoding `language`). Weather words are English. */
  language?: string;
  /** Days in the outlook, today included. */
  forecastDays?: number;
  /** Limit per upstream request (connect + reply), in ms. A lookup makes at most two. */
  timeoutMs?: number;
  /** How long a forecast is reused, in ms. */
  weatherTtlMs?: number;
  /** How long a geocoding answer is reused, in ms. */
  geocodeTtlMs?: number;
  /** How long "no such place" is remembered, in ms (capped at `geocodeTtlMs`). */
  notFoundTtlMs?: number;
  /** Entries per cache (geocoding and forecast each). */
  cacheMax?: number;
  /** Bytes per cache (geocoding and forecast each): keys and answers, counted at 2 bytes per character. */
  cacheMaxBytes?: number;
  /** Input variable holding the place, used by `respond` and in the "no location" sentence. */
  locationVariable?: string;
  /** Open-Meteo customer API key (commercial plan), sent as `apikey`; never logged. */
  apiKey?: string;
  /** HTTP client; default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** pino-like logger; default: silent. */
  logger?: WeatherLogger;
  /** Millisecond clock for cache ages and log durations (tests); default `performance.now`. */
  now?: () => number;
}

/** Per-call overrides of {@link WeatherServiceOptions}. */
/** Per-call settings over the service's own (a Dify app's, from the weather app's per-app file). */
export interface LookupOptions {
  units?: Units;
  forecastDays?: number;
  /** Language of place names (geocoding `language`). */
  language?: string;
}

/** {@link LookupOptions}, and which input holds the place, for {@link WeatherService.respond}. */
export interface RespondOptions extends LookupOptions {
  locationVariable?: string;
}

/** What a lookup came to, for the operator's access log (never the place itself). */
export type WeatherOutcome = "found" | "not_found" | "missing_location" | "upstream_error" | "internal_error";

/**
 * How a cache answered: `hit` (a stored answer), `miss` (a new upstream request), `inflight`
 * (joined an identical request already under way).
 */
export type CacheStatus = "hit" | "miss" | "inflight";

/** A tool result together with how it came about. */
export interface WeatherAnswer {
  /** The complete tool result: one string under 600 characters. */
  result: string;
  outcome: WeatherOutcome;
  /** How each cache answered; a step that was not reached is absent. */
  cache: { geocoding?: CacheStatus; forecast?: CacheStatus };
  /** With `upstream_error`: which API failed and how (the sentence in `result` says it in words). */
  failure?: { upstream: UpstreamService; kind: UpstreamFailureKind; status?: number };
}

export interface WeatherService {
  /**
   * The complete tool result for `place` ("Paris", "Paris, Texas", "Springfield, IL").
   * Always resolves to one string under 600 characters; never rejects.
   */
  lookup(place: string, options?: LookupOptions): Promise<string>;
  /**
   * The complete tool result for a Dify `app.external_data_tool.query` call: the place is taken
   * from `inputs[locationVariable]`; without one, the "no location was given" sentence.
   */
  respond(
    params: { inputs?: Record<string, unknown> | null; query?: string | null },
    options?: RespondOptions,
  ): Promise<string>;
  /** {@link WeatherService.lookup}, also telling what happened (outcome, cache use, failure). Never rejects. */
  lookupDetailed(place: string, options?: LookupOptions): Promise<WeatherAnswer>;
  /** {@link WeatherService.respond}, also telling what happened (outcome, cache use, failure). Never rejects. */
  respondDetailed(
    params: { inputs?: Record<string, unknown> | null; query?: string | null },
    options?: RespondOptions,
  ): Promise<WeatherAnswer>;
  /** Forget every cached geocoding answer and forecast. */
  clearCache(): void;
  /** The resolved settings (without the API key). */
  readonly settings: Readonly<ResolvedSettings>;
}

const silentLogger: WeatherLogger = { info() {}, warn() {}, error() {} };

/** Geocoding candidates fetched per name; hints choose among them. */
const GEOCODING_COUNT = 10;

function resolveSettings(options: WeatherServiceOptions): ResolvedSettings {
  const setting = <N extends WeatherSettingName>(name: N) =>
    resolveWeatherSetting("createWeatherService", name, options[name]);
  const geocodeTtlMs = setting("geocodeTtlMs");
  return {
    geocodingBaseUrl: setting("geocodingBaseUrl"),
    forecastBaseUrl: setting("forecastBaseUrl"),
    units: setting("units"),
    language: setting("language"),
    forecastDays: setting("forecastDays"),
    timeoutMs: setting("timeoutMs"),
    weatherTtlMs: setting("weatherTtlMs"),
    geocodeTtlMs,
    notFoundTtlMs: Math.min(setting("notFoundTtlMs"), geocodeTtlMs),
    cacheMax: setting("cacheMax"),
    cacheMaxBytes: setting("cacheMaxBytes"),
    locationVariable: setting("locationVariable"),
  };
}

/** Bytes counted for a cache entry besides its key and value (objects, LRU bookkeeping). */
const ENTRY_OVERHEAD_BYTES = 1024;

/**
 * Bytes an entry is counted for: its key and its value (as JSON: every string and number upstream
 * sent that the schema kept) at 2 bytes per character, plus the objects around them.
 */
function entryBytes(value: unknown, key: string): number {
  return ENTRY_OVERHEAD_BYTES + 2 * (key.length + JSON.stringify(value).length);
}

/** Round a coordinate to 0.01° (about 1 km): the forecast cache key and the request both use it. */
function roundCoordinate(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Build a weather service. Throws a TypeError/RangeError naming the bad option. */
export function createWeatherService(options: WeatherServiceOptions = {}): WeatherService {
  const settings = resolveSettings(options);
  const logger = options.logger ?? silentLogger;
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const clock = options.now ?? (() => performance.now());
  // lru-cache memoises its clock for ttlResolution ms of real time; an injected clock must be read every time.
  const perf = options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {};
  const upstream: UpstreamSettings = {
    fetch: fetchImpl,
    timeoutMs: settings.timeoutMs,
    logger,
    clock,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  };

  // fetchMethod makes concurrent fetch() calls for one key share a single upstream request;
  // a rejected fetch is not stored, so failures are retried on the next question.
  const geocodeCache = new LRUCache<string, { places: GeoPlace[] }, { name: string; language: string }>({
    max: settings.cacheMax,
    maxSize: settings.cacheMaxBytes,
    sizeCalculation: entryBytes,
    ttl: settings.geocodeTtlMs,
    ...perf,
    fetchMethod: async (_key, _stale, { signal, options: fetchOptions, context }) => {
      const places = await searchPlaces(
        upstream,
        settings.geocodingBaseUrl,
        { name: context.name, language: context.language, count: GEOCODING_COUNT },
        signal,
      );
      if (places.length === 0) fetchOptions.ttl = settings.notFoundTtlMs;
      return { places };
    },
  });

  interface ForecastContext {
    latitude: number;
    longitude: number;
    units: Units;
    days: number;
  }
  const forecastCache = new LRUCache<string, Forecast, ForecastContext>({
    max: settings.cacheMax,
    maxSize: settings.cacheMaxBytes,
    sizeCalculation: entryBytes,
    ttl: settings.weatherTtlMs,
    ...perf,
    fetchMethod: (_key, _stale, { signal, context }) =>
      fetchForecast(upstream, settings.forecastBaseUrl, context, signal),
  });

  function cacheStatus(fetched: string | undefined): CacheStatus {
    if (fetched === "inflight") return "inflight";
    return fetched === "hit" ? "hit" : "miss";
  }

  async function lookupDetailed(place: string, lookupOptions: LookupOptions = {}): Promise<WeatherAnswer> {
    let shown = "";
    const cache: WeatherAnswer["cache"] = {};
    // Filled by the caches when a fetch starts, so a failing step still reports how it was answered.
    const geocodeStatus: LRUCache.Status<string, { places: GeoPlace[] }, { name: string; language: string }> = {};
    const forecastStatus: LRUCache.Status<string, Forecast, ForecastContext> = {};
    const noteCacheUse = () => {
      if (geocodeStatus.fetch) cache.geocoding = cacheStatus(geocodeStatus.fetch);
      if (forecastStatus.fetch) cache.forecast = cacheStatus(forecastStatus.fetch);
    };
    try {
      const query = parsePlaceQuery(typeof place === "string" ? place : "");
      if (query.text === "") {
        return { result: missingLocationMessage(settings.locationVariable), outcome: "missing_location", cache };
      }
      shown = query.text;
      logger.debug?.({ place: query.text.slice(0, 200) }, "weather lookup");
      const units =
        lookupOptions.units === undefined
          ? settings.units
          : resolveWeatherSetting("lookup", "units", lookupOptions.units);
      const days =
        lookupOptions.forecastDays === undefined
          ? settings.forecastDays
          : resolveWeatherSetting("lookup", "forecastDays", lookupOptions.forecastDays);
      const language =
        lookupOptions.language === undefined
          ? settings.language
          : resolveWeatherSetting("lookup", "language", lookupOptions.language);
      // One character finds nothing at Open-Meteo, and a 100+ character "name" is not a place.
      if (query.name.length < 2 || query.name.length > MAX_PLACE_NAME_LENGTH) {
        return { result: notFoundMessage(query.text), outcome: "not_found", cache };
      }

      const nameKey = query.name.toLowerCase();
      const geocoded = await geocodeCache.fetch(`${language}\u0000${nameKey}`, {
        context: { name: query.name, language },
        status: geocodeStatus,
      });
      noteCacheUse();
      if (!geocoded) throw new Error("geocoding cache returned no value");
      const chosen = pickPlace(geocoded.places, query.hints);
      if (!chosen) return { result: notFoundMessage(query.text), outcome: "not_found", cache };

      const latitude = roundCoordinate(chosen.latitude);
      const longitude = roundCoordinate(chosen.longitude);
      const forecast = await forecastCache.fetch(`${latitude},${longitude},${units},${days}`, {
        context: { latitude, longitude, units, days },
        status: forecastStatus,
      });
      noteCacheUse();
      if (!forecast) throw new Error("forecast cache returned no value");
      return { result: formatWeatherReport(chosen, forecast, units), outcome: "found", cache };
    } catch (err) {
      noteCacheUse();
      if (err instanceof OpenMeteoError) {
        return {
          result: unavailableMessage(shown, err.kind, err.status, err.reason),
          outcome: "upstream_error",
          cache,
          failure: {
            upstream: err.service,
            kind: err.kind,
            ...(err.status === undefined ? {} : { status: err.status }),
          },
        };
      }
      logger.error(
        { err: { name: (err as Error)?.name, message: (err as Error)?.message } },
        "weather lookup failed unexpectedly",
      );
      return { result: unavailableMessage(shown, "internal"), outcome: "internal_error", cache };
    }
  }

  async function respondDetailed(
    params: { inputs?: Record<string, unknown> | null; query?: string | null },
    options: RespondOptions = {},
  ): Promise<WeatherAnswer> {
    const { locationVariable = settings.locationVariable, ...lookupOptions } = options;
    const place = placeFromInputs(params.inputs ?? undefined, locationVariable, params.query);
    if (place === undefined) {
      return { result: missingLocationMessage(locationVariable), outcome: "missing_location", cache: {} };
    }
    return lookupDetailed(place, lookupOptions);
  }

  return {
    lookup: async (place, lookupOptions) => (await lookupDetailed(place, lookupOptions)).result,
    respond: async (params, options) => (await respondDetailed(params, options)).result,
    lookupDetailed,
    respondDetailed,
    clearCache() {
      geocodeCache.clear();
      forecastCache.clear();
    },
    settings: Object.freeze({ ...settings }),
  };
}

/**
 * Builds the weather service from the app's settings and logs its settings once (hosts only, never
 * the key), warning when a paid-plan key is set but a URL is still Open-Meteo's free host. Shared by
 * the Node app and the Worker.
 */
export function startWeatherService(
  options: WeatherServiceOptions & { geocodingBaseUrl: string; forecastBaseUrl: string; apiKey?: string },
  logger: { info(fields: object, message?: string): void; warn(fields: object, message?: string): void },
): WeatherService {
  const { apiKey, ...settings } = options;
  const weather = createWeatherService(options);
  logger.info(
    {
      ...settings,
      logger: undefined,
      geocodingBaseUrl: new URL(settings.geocodingBaseUrl).origin,
      forecastBaseUrl: new URL(settings.forecastBaseUrl).origin,
      apiKeySet: apiKey !== undefined,
    },
    "weather service ready",
  );
  if (apiKey !== undefined) {
    for (const [name, url, free] of [
      ["OPEN_METEO_GEOCODING_URL", settings.geocodingBaseUrl, WEATHER_SETTINGS.geocodingBaseUrl.default],
      ["OPEN_METEO_FORECAST_URL", settings.forecastBaseUrl, WEATHER_SETTINGS.forecastBaseUrl.default],
    ] as const) {
      if (url === free) {
        logger.warn(
          { variable: name },
          `OPEN_METEO_API_KEY is set but ${name} is Open-Meteo's free host; paid plans use the customer-… hosts that come with the plan`,
        );
      }
    }
  }
  return weather;
}
