// HTTP client for Open-Meteo's geocoding and forecast APIs: one bounded GET per call, every
// failure turned into an OpenMeteoError (and one log line for the operator).
import { z } from "zod";
import type { GeoPlace } from "./place.ts";
import { cleanText, truncate } from "./text.ts";

/** Which upstream API a request went to. */
export type UpstreamService = "geocoding" | "forecast";

/** Why an upstream request failed. */
export type UpstreamFailureKind =
  | "timeout"
  | "network"
  | "rate-limited"
  | "rejected"
  | "http"
  | "malformed"
  | "shape"
  | "aborted";

/** Unit system of a forecast request. */
export type Units = "metric" | "imperial";

/** pino-compatible logger; `debug` is optional. */
export interface WeatherLogger {
  debug?(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** A failed upstream request. `reason` is Open-Meteo's own (sanitized, shortened) explanation of a 400. */
export class OpenMeteoError extends Error {
  readonly service: UpstreamService;
  readonly kind: UpstreamFailureKind;
  readonly status: number | undefined;
  readonly reason: string | undefined;

  constructor(service: UpstreamService, kind: UpstreamFailureKind, status?: number, reason?: string) {
    super(`Open-Meteo ${service} request failed: ${kind}${status ? ` (HTTP ${status})` : ""}`);
    this.name = "OpenMeteoError";
    this.service = service;
    this.kind = kind;
    this.status = status;
    this.reason = reason;
  }
}

/** What every upstream call needs. */
export interface UpstreamSettings {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  logger: WeatherLogger;
  /** Milliseconds clock used for durations in log lines. */
  clock: () => number;
  /** Customer API key (Open-Meteo's commercial plan); sent as `apikey`, never logged. */
  apiKey?: string;
}

/** Replies bigger than this are not Open-Meteo answers to our small requests. */
const MAX_BODY_BYTES = 512 * 1024;

function combineSignals(timeout: AbortSignal, other: AbortSignal | undefined): AbortSignal {
  if (!other) return timeout;
  return typeof AbortSignal.any === "function" ? AbortSignal.any([timeout, other]) : timeout;
}

async function readBody(response: Response): Promise<string | undefined> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

/**
 * GET `url` and parse the JSON reply, within `settings.timeoutMs` for the whole exchange
 * (connect, headers and body). Throws OpenMeteoError after logging one warning.
 */
export async function getJson(
  settings: UpstreamSettings,
  service: UpstreamService,
  url: URL,
  signal?: AbortSignal,
): Promise<unknown> {
  const started = settings.clock();
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const combined = combineSignals(timeout, signal);
  if (settings.apiKey) url.searchParams.set("apikey", settings.apiKey);

  const fail = (kind: UpstreamFailureKind, status?: number, reason?: string, code?: string) => {
    settings.logger.warn(
      {
        upstream: `open-meteo-${service}`,
        kind,
        status,
        reason,
        code,
        durationMs: Math.round(settings.clock() - started),
        timeoutMs: kind === "timeout" ? settings.timeoutMs : undefined,
      },
      `Open-Meteo ${service} request failed: ${kind}`,
    );
    return new OpenMeteoError(service, kind, status, reason);
  };
  const transportFailure = (err: unknown) => {
    if (timeout.aborted) return fail("timeout");
    if (signal?.aborted) return fail("aborted");
    return fail("network", undefined, undefined, errorCode(err) ?? (err as Error)?.name);
  };

  let response: Response;
  try {
    response = await settings.fetch(url, { signal: combined, headers: { accept: "application/json" } });
  } catch (err) {
    throw transportFailure(err);
  }
  let body: string | undefined;
  try {
    body = await readBody(response);
  } catch (err) {
    throw transportFailure(err);
  }
  if (body === undefined) throw fail("malformed", response.status, "reply too large");

  if (response.status === 429) throw fail("rate-limited", 429, upstreamReason(body));
  if (response.status === 400) {
    const reason = upstreamReason(body);
    throw reason === undefined ? fail("http", 400) : fail("rejected", 400, reason);
  }
  if (response.status < 200 || response.status > 299) throw fail("http", response.status);

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw fail("malformed", response.status, "invalid JSON");
  }
  settings.logger.debug?.(
    { upstream: `open-meteo-${service}`, status: response.status, durationMs: Math.round(settings.clock() - started) },
    `Open-Meteo ${service} request succeeded`,
  );
  return parsed;
}

/** Open-Meteo's `{"error": true, "reason": "..."}`, sanitized and shortened; undefined if absent. */
function upstreamReason(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; reason?: unknown };
    if (parsed && parsed.error === true && typeof parsed.reason === "string") {
      const reason = truncate(cleanText(parsed.reason), 100);
      return reason.length > 0 ? reason : undefined;
    }
  } catch {
    // not JSON: no reason to report
  }
  return undefined;
}

function withPath(base: string, path: string): URL {
  return new URL(`${base.replace(/\/+$/, "")}${path}`);
}

// --------------------------------------------------------------------------------------------
// Geocoding

const optionalText = z.string().optional();
const geocodingResponseSchema = z.object({
  results: z
    .array(
      z.object({
        id: z.number().optional(),
        name: z.string(),
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
        country: optionalText,
        country_code: optionalText,
        admin1: optionalText,
        admin2: optionalText,
        admin3: optionalText,
        admin4: optionalText,
        timezone: optionalText,
        population: z.number().optional(),
      }),
    )
    .optional(),
});

/** Search places by name; an empty array when Open-Meteo knows none (its reply has no `results`). */
export async function searchPlaces(
  settings: UpstreamSettings,
  baseUrl: string,
  query: { name: string; language: string; count: number },
  signal?: AbortSignal,
): Promise<GeoPlace[]> {
  const url = withPath(baseUrl, "/v1/search");
  url.searchParams.set("name", query.name);
  url.searchParams.set("count", String(query.count));
  url.searchParams.set("language", query.language);
  url.searchParams.set("format", "json");
  const json = await getJson(settings, "geocoding", url, signal);
  const parsed = geocodingResponseSchema.safeParse(json);
  if (!parsed.success) throw shapeError(settings, "geocoding", parsed.error);
  return parsed.data.results ?? [];
}

// --------------------------------------------------------------------------------------------
// Forecast

export const CURRENT_VARIABLES = [
  "temperature_2m",
  "apparent_temperature",
  "relative_humidity_2m",
  "weather_code",
  "wind_speed_10m",
  "wind_direction_10m",
  "precipitation",
  "is_day",
] as const;
export const DAILY_VARIABLES = [
  "weather_code",
  "temperature_2m_max",
  "temperature_2m_min",
  "precipitation_sum",
  "precipitation_probability_max",
] as const;

const reading = z.number().nullable().optional();
const series = z.array(z.number().nullable()).optional();
const units = z.record(z.string(), z.unknown()).optional();

const forecastResponseSchema = z.object({
  utc_offset_seconds: z.number(),
  timezone: z.string(),
  timezone_abbreviation: z.string().optional(),
  current_units: units,
  current: z.object({
    time: z.string(),
    temperature_2m: z.number(),
    apparent_temperature: reading,
    relative_humidity_2m: reading,
    weather_code: reading,
    wind_speed_10m: reading,
    wind_direction_10m: reading,
    precipitation: reading,
    is_day: reading,
  }),
  daily_units: units,
  daily: z
    .object({
      time: z.array(z.string()),
      weather_code: series,
      temperature_2m_max: series,
      temperature_2m_min: series,
      precipitation_sum: series,
      precipitation_probability_max: series,
    })
    .optional(),
});

/** A validated forecast reply (current conditions plus daily parallel arrays). */
export type Forecast = z.infer<typeof forecastResponseSchema>;

/** Fetch current conditions and a `days`-day daily forecast for a coordinate, in local time. */
export async function fetchForecast(
  settings: UpstreamSettings,
  baseUrl: string,
  query: { latitude: number; longitude: number; units: Units; days: number },
  signal?: AbortSignal,
): Promise<Forecast> {
  const url = withPath(baseUrl, "/v1/forecast");
  url.searchParams.set("latitude", String(query.latitude));
  url.searchParams.set("longitude", String(query.longitude));
  url.searchParams.set("current", CURRENT_VARIABLES.join(","));
  url.searchParams.set("daily", DAILY_VARIABLES.join(","));
  url.searchParams.set("timezone", "auto");
  url.searchParams.set("forecast_days", String(query.days));
  if (query.units === "imperial") {
    url.searchParams.set("temperature_unit", "fahrenheit");
    url.searchParams.set("wind_speed_unit", "mph");
    url.searchParams.set("precipitation_unit", "inch");
  }
  const json = await getJson(settings, "forecast", url, signal);
  const parsed = forecastResponseSchema.safeParse(json);
  if (!parsed.success) throw shapeError(settings, "forecast", parsed.error);
  return parsed.data;
}

function shapeError(settings: UpstreamSettings, service: UpstreamService, error: z.ZodError): OpenMeteoError {
  const first = error.issues[0];
  const reason = first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "unexpected shape";
  settings.logger.warn(
    { upstream: `open-meteo-${service}`, kind: "shape", reason: truncate(reason, 200) },
    `Open-Meteo ${service} reply has an unexpected shape`,
  );
  return new OpenMeteoError(service, "shape", undefined, reason);
}
