// Turns a geocoded place and a forecast into the one string Dify hands to the model, and builds
// the one-line sentences used when there is no forecast to give.
import type { Forecast, Units, UpstreamFailureKind } from "./open-meteo.ts";
import { type GeoPlace, placeLabel } from "./place.ts";
import { cleanText, truncate } from "./text.ts";
import { describeWeatherCode } from "./wmo.ts";

/** Dify passes the result to the model verbatim; keep it short enough to read at a glance. */
export const MAX_RESULT_LENGTH = 600;
/** Required by Open-Meteo's licence (CC BY 4.0). */
export const ATTRIBUTION = "Weather data by Open-Meteo.com (CC BY 4.0).";

const MAX_QUOTED_PLACE = 60;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"];

const DEFAULT_UNITS: Record<Units, { temperature: string; wind: string; precipitation: string }> = {
  metric: { temperature: "°C", wind: "km/h", precipitation: "mm" },
  imperial: { temperature: "°F", wind: "mph", precipitation: "inch" },
};

/** 16-point compass name of a direction in degrees the wind comes from (0 = N, 90 = E). */
export function compassPoint(degrees: number): string {
  const index = Math.round((((degrees % 360) + 360) % 360) / 22.5) % 16;
  return COMPASS[index] ?? "N";
}

/** One decimal at most, no trailing ".0", no "-0". */
function decimal(value: number, digits = 1): string {
  const f = 10 ** digits;
  const rounded = Math.round(value * f) / f;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

function unitOf(units: Record<string, unknown> | undefined, key: string, fallback: string): string {
  const value = units?.[key];
  return typeof value === "string" && value.trim() !== "" ? cleanText(value).slice(0, 12) : fallback;
}

function parseLocalDate(text: string): { weekday: string; day: number; month: string } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (Number.isNaN(date.getTime())) return undefined;
  return {
    weekday: WEEKDAYS[date.getUTCDay()] ?? "",
    day: date.getUTCDate(),
    month: MONTHS[date.getUTCMonth()] ?? "",
  };
}

function utcOffsetLabel(seconds: number): string {
  const sign = seconds < 0 ? "-" : "+";
  const abs = Math.abs(Math.round(seconds / 60));
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** "Sat 4 Jul 14:15 CEST" from the forecast's local `current.time` and its zone. */
function localTime(forecast: Forecast): string {
  const time = /T(\d{2}:\d{2})/.exec(forecast.current.time)?.[1];
  const date = parseLocalDate(forecast.current.time);
  const abbreviation = cleanText(forecast.timezone_abbreviation ?? "").slice(0, 12);
  const zone = abbreviation || utcOffsetLabel(forecast.utc_offset_seconds);
  if (!time || !date) return `${cleanText(forecast.current.time).slice(0, 25)} ${zone}`;
  return `${date.weekday} ${date.day} ${date.month} ${time} ${zone}`;
}

function range(low: number, high: number, unit: string): string {
  const lo = Math.round(low);
  const hi = Math.round(high);
  return lo < 0 || hi < 0 ? `${lo} to ${hi}${unit}` : `${lo}–${hi}${unit}`;
}

function currentPart(forecast: Forecast, units: Units): string {
  const c = forecast.current;
  const defaults = DEFAULT_UNITS[units];
  const tempUnit = unitOf(forecast.current_units, "temperature_2m", defaults.temperature);
  const windUnit = unitOf(forecast.current_units, "wind_speed_10m", defaults.wind);
  const rainUnit = unitOf(forecast.current_units, "precipitation", defaults.precipitation);

  const bits: string[] = [];
  let temperature = `${decimal(c.temperature_2m)}${tempUnit}`;
  if (typeof c.apparent_temperature === "number") {
    temperature += ` (feels like ${decimal(c.apparent_temperature)}${tempUnit})`;
  }
  bits.push(temperature);
  const conditions = describeWeatherCode(c.weather_code);
  bits.push(c.is_day === 0 ? `${conditions} (night)` : conditions);
  if (typeof c.relative_humidity_2m === "number") bits.push(`humidity ${Math.round(c.relative_humidity_2m)}%`);
  if (typeof c.wind_speed_10m === "number") {
    const speed = Math.round(c.wind_speed_10m);
    if (speed === 0) bits.push("calm");
    else {
      const from = typeof c.wind_direction_10m === "number" ? ` from ${compassPoint(c.wind_direction_10m)}` : "";
      bits.push(`wind ${speed} ${windUnit}${from}`);
    }
  }
  if (typeof c.precipitation === "number") {
    bits.push(c.precipitation > 0 ? `precipitation ${decimal(c.precipitation, 2)} ${rainUnit}` : "no precipitation");
  }
  return bits.join(", ");
}

function outlookParts(forecast: Forecast, units: Units): string[] {
  const daily = forecast.daily;
  if (!daily) return [];
  const defaults = DEFAULT_UNITS[units];
  const tempUnit = unitOf(forecast.daily_units, "temperature_2m_max", defaults.temperature);
  const rainUnit = unitOf(forecast.daily_units, "precipitation_sum", defaults.precipitation);
  const today = forecast.current.time.slice(0, 10);
  const parts: string[] = [];
  daily.time.forEach((day, i) => {
    const date = parseLocalDate(day);
    const label = day === today ? "Today" : (date?.weekday ?? cleanText(day).slice(0, 10));
    const bits = [describeWeatherCode(daily.weather_code?.[i])];
    const max = daily.temperature_2m_max?.[i];
    const min = daily.temperature_2m_min?.[i];
    if (typeof max === "number" && typeof min === "number") bits.push(range(min, max, tempUnit));
    const probability = daily.precipitation_probability_max?.[i];
    const sum = daily.precipitation_sum?.[i];
    let rain = "";
    if (typeof probability === "number") rain = `${Math.round(probability)}% chance of precipitation`;
    if (typeof sum === "number" && sum > 0) {
      rain = rain ? `${rain} (${decimal(sum, 2)} ${rainUnit})` : `precipitation ${decimal(sum, 2)} ${rainUnit}`;
    }
    if (rain) bits.push(rain);
    parts.push(`${label}: ${bits.join(", ")}`);
  });
  return parts;
}

/**
 * The whole tool result for a place: where, local time, current conditions, a short outlook and
 * the attribution. Never longer than `maxLength`: outlook days are dropped from the end first,
 * then the description is shortened at a word boundary; the attribution always stays.
 */
export function formatWeatherReport(
  place: GeoPlace,
  forecast: Forecast,
  units: Units,
  maxLength = MAX_RESULT_LENGTH,
): string {
  const head = `Current weather in ${placeLabel(place)} (local time ${localTime(forecast)}): ${currentPart(forecast, units)}.`;
  const days = outlookParts(forecast, units);
  const compose = (count: number) =>
    count > 0 ? `${head} Outlook: ${days.slice(0, count).join("; ")}. ${ATTRIBUTION}` : `${head} ${ATTRIBUTION}`;
  for (let count = days.length; count > 0; count--) {
    const text = compose(count);
    if (text.length <= maxLength) return text;
  }
  const text = compose(0);
  if (text.length <= maxLength) return text;
  return `${truncate(head, Math.max(0, maxLength - ATTRIBUTION.length - 1))} ${ATTRIBUTION}`.slice(0, maxLength);
}

/** The place as the user gave it, cleaned and shortened for quoting back. */
export function quotePlace(place: string): string {
  return truncate(cleanText(place), MAX_QUOTED_PLACE);
}

/** "No weather found for 'Atlantis'." */
export function notFoundMessage(place: string): string {
  return `No weather found for '${quotePlace(place)}'.`;
}

/** Why the weather is unavailable, in words the model can pass on. */
export type UnavailableKind = UpstreamFailureKind | "internal";

function failureReason(kind: UnavailableKind, status?: number, reason?: string): string {
  switch (kind) {
    case "timeout":
      return "the weather service did not answer in time";
    case "network":
      return "the weather service could not be reached";
    case "rate-limited":
      return "the weather service is receiving too many requests; try again in a minute";
    case "rejected":
      return reason
        ? `the weather service rejected the request: ${truncate(cleanText(reason), 100)}`
        : "the weather service rejected the request";
    case "http":
      return status !== undefined && status >= 500
        ? `the weather service had an internal error, HTTP ${status}`
        : `the weather service answered with HTTP ${status ?? "error"}`;
    case "malformed":
    case "shape":
      return "the weather service sent a reply that could not be read";
    default:
      return "the weather tool hit an internal error";
  }
}

/** "Weather for 'Paris' is unavailable right now (the weather service did not answer in time)." */
export function unavailableMessage(place: string, kind: UnavailableKind, status?: number, reason?: string): string {
  return `Weather for '${quotePlace(place)}' is unavailable right now (${failureReason(kind, status, reason)}).`;
}
