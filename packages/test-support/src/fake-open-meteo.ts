/**
 * A fake Open-Meteo for tests: one real `node:http` server on 127.0.0.1 that answers both the
 * geocoding API (`GET /v1/search`) and the forecast API (`GET /v1/forecast`) with bodies shaped
 * like the real services', so the same base URL can be given for both.
 *
 * Everything is deterministic: the clock is fixed (`now`), the built-in places carry fixed
 * coordinates and metadata taken from Open-Meteo's GeoNames-based answers, and weather for a
 * coordinate comes from the place's scripted sample or from a PRNG seeded by the coordinate.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";
import { mulberry32 } from "./random.ts";

/** Metric weather now, in the units Open-Meteo uses by default. */
export interface FakeCurrentWeather {
  temperatureC: number;
  apparentTemperatureC: number;
  relativeHumidity: number;
  weatherCode: number;
  windSpeedKmh: number;
  windDirectionDeg: number;
  precipitationMm: number;
  /** 1 by day, 0 by night; derived from the local hour when omitted. */
  isDay?: 0 | 1;
}

/** One day of metric forecast. */
export interface FakeDailyWeather {
  weatherCode: number;
  maxC: number;
  minC: number;
  precipitationMm: number;
  precipitationProbability: number;
}

/** Weather served for a place. Days beyond `daily` are generated. */
export interface FakeWeather {
  current: FakeCurrentWeather;
  daily: FakeDailyWeather[];
}

/** A geocoding result exactly as Open-Meteo returns it (empty fields omitted), plus fake-only data. */
export interface FakePlace {
  id: number;
  name: string;
  latitude: number;
  longitude: number;
  elevation?: number;
  feature_code?: string;
  country_code?: string;
  admin1_id?: number;
  admin2_id?: number;
  timezone: string;
  population?: number;
  postcodes?: string[];
  country_id?: number;
  country?: string;
  admin1?: string;
  admin2?: string;
  /** Fake-only: July-ish mean temperature used when weather is generated. Not sent. */
  climateC?: number;
  /** Fake-only: fixed weather for this place. Not sent. */
  weather?: FakeWeather;
}

/** What a scripted endpoint does instead of (or before) answering normally. */
export type FakeBehaviour =
  /** Answer with this status and body (objects are sent as JSON, strings verbatim). */
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: "hang" }
  /** Answer 200 `application/json` with a truncated, unparseable body. */
  | { kind: "malformed-json" }
  /** Wait, then answer normally. */
  | { kind: "delay"; ms: number }
  /** Destroy the connection without answering (the client sees a reset / socket hang-up). */
  | { kind: "reset" }
  /** Send headers at once, then the normal body `chunkBytes` at a time every `intervalMs`. */
  | { kind: "drip"; intervalMs: number; chunkBytes?: number };

export type FakeEndpoint = "geocoding" | "forecast";

export interface FakeCallLogEntry {
  path: string;
  query: Record<string, string>;
}

export interface FakeOpenMeteoOptions {
  /** The fake's clock; default 2026-07-04T12:20:00Z (a Saturday). */
  now?: Date | string;
  /** Replace the built-in places. */
  places?: FakePlace[];
}

export interface FakeOpenMeteo {
  /** Base URL, e.g. `http://127.0.0.1:43121` (no trailing slash); use it for both APIs. */
  url: string;
  /** Live counters of requests that reached each endpoint (scripted ones included). */
  calls: { geocoding: number; forecast: number; log: FakeCallLogEntry[] };
  places: {
    /** Add places (or replace those with the same id). */
    add(...places: FakePlace[]): void;
    /** Replace every known place. */
    replace(places: FakePlace[]): void;
    /** Back to the built-in sample places. */
    reset(): void;
    list(): FakePlace[];
  };
  /**
   * Make an endpoint misbehave. With `times`, the behaviour applies to that many requests and
   * the endpoint then answers normally again; without, until `clearScripts()`/`reset()`.
   * Scripts queue: a later call applies after an earlier limited one is used up.
   */
  script(endpoint: FakeEndpoint, behaviour: FakeBehaviour, options?: { times?: number }): void;
  clearScripts(endpoint?: FakeEndpoint): void;
  /** Zero the counters and the log. */
  resetCalls(): void;
  /** Scripts, counters and places back to the start state. */
  reset(): void;
  /** Stop listening and drop open connections (hanging requests included). */
  close(): Promise<void>;
}

const DEFAULT_NOW = "2026-07-04T12:20:00Z";

/** Built-in sample places: GeoNames ids, coordinates and admin data as Open-Meteo returns them. */
export const SAMPLE_PLACES: readonly FakePlace[] = Object.freeze([
  {
    id: 2988507,
    name: "Paris",
    latitude: 48.85341,
    longitude: 2.3488,
    elevation: 42,
    feature_code: "PPLC",
    country_code: "FR",
    admin1_id: 3012874,
    admin2_id: 2968815,
    timezone: "Europe/Paris",
    population: 2138551,
    postcodes: ["75001", "75020", "75002", "75003"],
    country_id: 3017382,
    country: "France",
    admin1: "Île-de-France",
    admin2: "Paris",
    climateC: 21,
    weather: {
      current: {
        temperatureC: 22.4,
        apparentTemperatureC: 21.9,
        relativeHumidity: 55,
        weatherCode: 2,
        windSpeedKmh: 12.6,
        windDirectionDeg: 225,
        precipitationMm: 0,
      },
      daily: [
        { weatherCode: 80, maxC: 23.4, minC: 14.1, precipitationMm: 1.2, precipitationProbability: 40 },
        { weatherCode: 61, maxC: 17.2, minC: 12.3, precipitationMm: 4.6, precipitationProbability: 85 },
        { weatherCode: 3, maxC: 19.8, minC: 11.7, precipitationMm: 0, precipitationProbability: 10 },
      ],
    },
  },
  {
    id: 4717560,
    name: "Paris",
    latitude: 33.66094,
    longitude: -95.55551,
    elevation: 177,
    feature_code: "PPLA2",
    country_code: "US",
    admin1_id: 4736286,
    admin2_id: 4705086,
    timezone: "America/Chicago",
    population: 24782,
    postcodes: ["75460", "75461", "75462"],
    country_id: 6252001,
    country: "United States",
    admin1: "Texas",
    admin2: "Lamar",
    climateC: 29,
    weather: {
      current: {
        temperatureC: 31.2,
        apparentTemperatureC: 34.5,
        relativeHumidity: 62,
        weatherCode: 1,
        windSpeedKmh: 14.2,
        windDirectionDeg: 170,
        precipitationMm: 0,
      },
      daily: [
        { weatherCode: 95, maxC: 34.1, minC: 23.2, precipitationMm: 8.4, precipitationProbability: 55 },
        { weatherCode: 1, maxC: 33.5, minC: 22.8, precipitationMm: 0, precipitationProbability: 5 },
      ],
    },
  },
  {
    id: 4647963,
    name: "Paris",
    latitude: 36.302,
    longitude: -88.32671,
    elevation: 156,
    feature_code: "PPLA2",
    country_code: "US",
    admin1_id: 4662168,
    admin2_id: 4630930,
    timezone: "America/Chicago",
    population: 10156,
    postcodes: ["38242"],
    country_id: 6252001,
    country: "United States",
    admin1: "Tennessee",
    admin2: "Henry",
    climateC: 27,
  },
  {
    id: 6942553,
    name: "Paris",
    latitude: 43.2,
    longitude: -80.38333,
    elevation: 245,
    feature_code: "PPL",
    country_code: "CA",
    admin1_id: 6093943,
    timezone: "America/Toronto",
    population: 11177,
    country_id: 6251999,
    country: "Canada",
    admin1: "Ontario",
    climateC: 21,
  },
  {
    id: 2950159,
    name: "Berlin",
    latitude: 52.52437,
    longitude: 13.41053,
    elevation: 74,
    feature_code: "PPLC",
    country_code: "DE",
    admin1_id: 2950157,
    timezone: "Europe/Berlin",
    population: 3426354,
    country_id: 2921044,
    country: "Germany",
    admin1: "Land Berlin",
    climateC: 20,
  },
  {
    id: 1850147,
    name: "Tokyo",
    latitude: 35.6895,
    longitude: 139.69171,
    elevation: 44,
    feature_code: "PPLC",
    country_code: "JP",
    admin1_id: 1850144,
    timezone: "Asia/Tokyo",
    population: 8336599,
    country_id: 1861060,
    country: "Japan",
    admin1: "Tokyo",
    climateC: 27,
  },
  {
    id: 2643743,
    name: "London",
    latitude: 51.50853,
    longitude: -0.12574,
    elevation: 25,
    feature_code: "PPLC",
    country_code: "GB",
    admin1_id: 6269131,
    admin2_id: 2648110,
    timezone: "Europe/London",
    population: 7556900,
    country_id: 2635167,
    country: "United Kingdom",
    admin1: "England",
    admin2: "Greater London",
    climateC: 19,
  },
  {
    id: 6058560,
    name: "London",
    latitude: 42.98339,
    longitude: -81.23304,
    elevation: 252,
    feature_code: "PPL",
    country_code: "CA",
    admin1_id: 6093943,
    timezone: "America/Toronto",
    population: 346765,
    country_id: 6251999,
    country: "Canada",
    admin1: "Ontario",
    climateC: 21,
  },
  {
    id: 4409896,
    name: "Springfield",
    latitude: 37.21533,
    longitude: -93.29824,
    elevation: 398,
    feature_code: "PPLA2",
    country_code: "US",
    admin1_id: 4398678,
    admin2_id: 4410839,
    timezone: "America/Chicago",
    population: 169176,
    country_id: 6252001,
    country: "United States",
    admin1: "Missouri",
    admin2: "Greene",
    climateC: 26,
  },
  {
    id: 4951788,
    name: "Springfield",
    latitude: 42.10148,
    longitude: -72.58981,
    elevation: 21,
    feature_code: "PPLA2",
    country_code: "US",
    admin1_id: 6254926,
    admin2_id: 4938757,
    timezone: "America/New_York",
    population: 154341,
    country_id: 6252001,
    country: "United States",
    admin1: "Massachusetts",
    admin2: "Hampden",
    climateC: 23,
  },
  {
    id: 4250542,
    name: "Springfield",
    latitude: 39.80172,
    longitude: -89.64371,
    elevation: 182,
    feature_code: "PPLA",
    country_code: "US",
    admin1_id: 4896861,
    admin2_id: 4250544,
    timezone: "America/Chicago",
    population: 116250,
    country_id: 6252001,
    country: "United States",
    admin1: "Illinois",
    admin2: "Sangamon",
    climateC: 25,
  },
  {
    id: 5128581,
    name: "New York",
    latitude: 40.71427,
    longitude: -74.00597,
    elevation: 10,
    feature_code: "PPL",
    country_code: "US",
    admin1_id: 5128638,
    timezone: "America/New_York",
    population: 8804190,
    country_id: 6252001,
    country: "United States",
    admin1: "New York",
    climateC: 25,
  },
  {
    id: 2147714,
    name: "Sydney",
    latitude: -33.86785,
    longitude: 151.20732,
    elevation: 58,
    feature_code: "PPLA",
    country_code: "AU",
    admin1_id: 2155400,
    timezone: "Australia/Sydney",
    population: 4627345,
    country_id: 2077456,
    country: "Australia",
    admin1: "New South Wales",
    climateC: 13,
  },
  {
    id: 3413829,
    name: "Reykjavík",
    latitude: 64.13548,
    longitude: -21.89541,
    elevation: 26,
    feature_code: "PPLC",
    country_code: "IS",
    admin1_id: 3426182,
    timezone: "Atlantic/Reykjavik",
    population: 118918,
    country_id: 2629691,
    country: "Iceland",
    admin1: "Capital Region",
    climateC: 11,
  },
  {
    id: 3448439,
    name: "São Paulo",
    latitude: -23.5475,
    longitude: -46.63611,
    elevation: 769,
    feature_code: "PPLA",
    country_code: "BR",
    admin1_id: 3448433,
    timezone: "America/Sao_Paulo",
    population: 10021295,
    country_id: 3469034,
    country: "Brazil",
    admin1: "São Paulo",
    climateC: 17,
  },
]);

const CURRENT_VARIABLES = new Set([
  "temperature_2m",
  "apparent_temperature",
  "relative_humidity_2m",
  "weather_code",
  "wind_speed_10m",
  "wind_direction_10m",
  "precipitation",
  "is_day",
  "cloud_cover",
]);
const DAILY_VARIABLES = new Set([
  "weather_code",
  "temperature_2m_max",
  "temperature_2m_min",
  "precipitation_sum",
  "precipitation_probability_max",
]);
const TEMPERATURE_UNITS: Record<string, string> = { celsius: "°C", fahrenheit: "°F" };
const WIND_UNITS: Record<string, string> = { kmh: "km/h", ms: "m/s", mph: "mph", kn: "kn" };
const PRECIPITATION_UNITS: Record<string, string> = { mm: "mm", inch: "inch" };

/** Standard/daylight abbreviations for zones whose en-US Intl name is only "GMT+n". */
const ZONE_ABBREVIATIONS: Record<string, [string, string]> = {
  "Europe/Paris": ["CET", "CEST"],
  "Europe/Berlin": ["CET", "CEST"],
  "Europe/London": ["GMT", "BST"],
  "Asia/Tokyo": ["JST", "JST"],
  "Australia/Sydney": ["AEST", "AEDT"],
  "Atlantic/Reykjavik": ["GMT", "GMT"],
};

class BadRequest extends Error {}

/** Start the fake on 127.0.0.1, port 0. */
export async function startFakeOpenMeteo(options: FakeOpenMeteoOptions = {}): Promise<FakeOpenMeteo> {
  const nowMs = new Date(options.now ?? DEFAULT_NOW).getTime();
  if (Number.isNaN(nowMs)) throw new TypeError(`startFakeOpenMeteo: invalid now ${String(options.now)}`);
  const initialPlaces = options.places ?? SAMPLE_PLACES;
  let places: FakePlace[] = initialPlaces.map((p) => ({ ...p }));
  const scripts: Record<FakeEndpoint, Array<{ behaviour: FakeBehaviour; remaining: number }>> = {
    geocoding: [],
    forecast: [],
  };
  const calls = { geocoding: 0, forecast: 0, log: [] as FakeCallLogEntry[] };
  const timers = new Set<NodeJS.Timeout>();

  function later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  function takeBehaviour(endpoint: FakeEndpoint): FakeBehaviour | undefined {
    const queue = scripts[endpoint];
    const head = queue[0];
    if (!head) return undefined;
    if (Number.isFinite(head.remaining)) {
      head.remaining -= 1;
      if (head.remaining <= 0) queue.shift();
    }
    return head.behaviour;
  }

  function answerJson(res: ServerResponse, status: number, body: unknown): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(text);
  }

  function normalAnswer(endpoint: FakeEndpoint, query: URLSearchParams): { status: number; body: unknown } {
    try {
      return {
        status: 200,
        body: endpoint === "geocoding" ? geocode(places, query) : forecast(places, query, nowMs),
      };
    } catch (err) {
      if (err instanceof BadRequest) return { status: 400, body: { error: true, reason: err.message } };
      throw err;
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const query = Object.fromEntries(url.searchParams);
    calls.log.push({ path: url.pathname, query });
    let endpoint: FakeEndpoint;
    if (url.pathname === "/v1/search") endpoint = "geocoding";
    else if (url.pathname === "/v1/forecast") endpoint = "forecast";
    else {
      answerJson(res, 404, { error: true, reason: "Not Found" });
      return;
    }
    if (req.method !== "GET") {
      answerJson(res, 405, { error: true, reason: "Method Not Allowed" });
      return;
    }
    calls[endpoint] += 1;

    const behaviour = takeBehaviour(endpoint);
    const respond = () => {
      const { status, body } = normalAnswer(endpoint, url.searchParams);
      answerJson(res, status, body);
    };
    if (!behaviour) {
      respond();
      return;
    }
    switch (behaviour.kind) {
      case "status": {
        const body = behaviour.body ?? "";
        const text = typeof body === "string" ? body : JSON.stringify(body);
        res.writeHead(behaviour.status, {
          "content-type": "application/json; charset=utf-8",
          ...behaviour.headers,
        });
        res.end(text);
        return;
      }
      case "hang":
        return;
      case "malformed-json":
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        res.end('{"latitude":48.86,"longitude":2.34,"current":{"time":"2026-07-04T14:15","temperature_2m":2');
        return;
      case "delay":
        later(behaviour.ms, () => {
          if (!res.destroyed) respond();
        });
        return;
      case "reset":
        req.socket.destroy();
        return;
      case "drip": {
        const { status, body } = normalAnswer(endpoint, url.searchParams);
        const bytes = Buffer.from(JSON.stringify(body));
        const size = Math.max(1, behaviour.chunkBytes ?? 1);
        res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
        let offset = 0;
        const step = () => {
          if (res.destroyed) return;
          const chunk = bytes.subarray(offset, offset + size);
          offset += size;
          if (offset >= bytes.length) res.end(chunk);
          else {
            res.write(chunk);
            later(behaviour.intervalMs, step);
          }
        };
        step();
        return;
      }
    }
  }

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      answerJson(res, 500, { error: true, reason: `fake-open-meteo: ${(err as Error).message}` });
    }
  });
  const { port, close: closeServer } = await listenOnLoopback(server);

  function clearScripts(endpoint?: FakeEndpoint): void {
    if (endpoint) scripts[endpoint] = [];
    else {
      scripts.geocoding = [];
      scripts.forecast = [];
    }
  }
  function resetCalls(): void {
    calls.geocoding = 0;
    calls.forecast = 0;
    calls.log.length = 0;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    places: {
      add(...added) {
        for (const place of added) {
          places = places.filter((p) => p.id !== place.id);
          places.push({ ...place });
        }
      },
      replace(list) {
        places = list.map((p) => ({ ...p }));
      },
      reset() {
        places = initialPlaces.map((p) => ({ ...p }));
      },
      list() {
        return places.map((p) => ({ ...p }));
      },
    },
    script(endpoint, behaviour, scriptOptions = {}) {
      const times = scriptOptions.times ?? Number.POSITIVE_INFINITY;
      if (!(times > 0)) throw new RangeError("script: times must be a positive number");
      scripts[endpoint].push({ behaviour, remaining: times });
    },
    clearScripts,
    resetCalls,
    reset() {
      clearScripts();
      resetCalls();
      places = initialPlaces.map((p) => ({ ...p }));
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await closeServer();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Geocoding

/** Lower case without diacritics, as Open-Meteo's search matches. */
function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim();
}

function publicPlace(place: FakePlace): Record<string, unknown> {
  const { climateC: _climate, weather: _weather, ...rest } = place;
  return rest;
}

function geocode(places: FakePlace[], query: URLSearchParams): Record<string, unknown> {
  const name = query.get("name");
  if (name === null) throw new BadRequest("Parameter 'name' is required");
  const countText = query.get("count") ?? "10";
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new BadRequest(`Parameter 'count' must be between 1 and 100. Given: ${countText}`);
  }
  const format = query.get("format") ?? "json";
  if (format !== "json") throw new BadRequest(`Unsupported format '${format}'`);
  const countryCode = query.get("countryCode")?.toUpperCase();

  const wanted = fold(name);
  // Like Open-Meteo: one character finds nothing, two characters need an exact match,
  // longer input also matches name prefixes. Exact matches first, each group by population.
  let results: FakePlace[] = [];
  if (wanted.length >= 2) {
    const candidates = places.filter((p) => !countryCode || p.country_code === countryCode);
    const byPopulation = (a: FakePlace, b: FakePlace) => (b.population ?? 0) - (a.population ?? 0);
    const exact = candidates.filter((p) => fold(p.name) === wanted).sort(byPopulation);
    const prefix =
      wanted.length >= 3
        ? candidates.filter((p) => fold(p.name) !== wanted && fold(p.name).startsWith(wanted)).sort(byPopulation)
        : [];
    results = [...exact, ...prefix].slice(0, count);
  }
  const body: Record<string, unknown> = {};
  if (results.length > 0) body.results = results.map(publicPlace);
  body.generationtime_ms = 0.5600452;
  return body;
}

// ---------------------------------------------------------------------------------------------
// Forecast

function parseCoordinate(query: URLSearchParams, key: "latitude" | "longitude", limit: number): number {
  const text = query.get(key);
  if (text === null || text === "") {
    throw new BadRequest("Parameter 'latitude' and 'longitude' must have the same number of elements");
  }
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new BadRequest(`Cannot initialize Float from invalid String value ${text} for key ${key}`);
  }
  if (Math.abs(value) > limit) {
    const label = key === "latitude" ? "Latitude" : "Longitude";
    throw new BadRequest(`${label} must be in range of -${limit} to ${limit}°. Given: ${value}.`);
  }
  return value;
}

function parseUnit(query: URLSearchParams, key: string, table: Record<string, string>, fallback: string) {
  const value = query.get(key) ?? fallback;
  const unit = table[value];
  if (unit === undefined) {
    throw new BadRequest(`Cannot initialize ${key} from invalid String value ${value} for key ${key}`);
  }
  return { value, unit };
}

function parseVariables(query: URLSearchParams, key: "current" | "daily", known: Set<string>): string[] {
  const text = query.get(key);
  if (text === null || text === "") return [];
  const names = text.split(",").map((s) => s.trim());
  for (const name of names) {
    if (!known.has(name)) {
      throw new BadRequest(`Cannot initialize WeatherVariable from invalid String value ${name} for key ${key}`);
    }
  }
  return names;
}

const GENERATED_CODES = [0, 1, 2, 3, 3, 45, 51, 61, 63, 80, 81, 95];

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function generatedWeather(latitude: number, longitude: number, climateC: number, days: number): FakeWeather {
  const random = mulberry32(Math.round(latitude * 100) * 100003 + Math.round(longitude * 100));
  const pick = () => GENERATED_CODES[Math.floor(random() * GENERATED_CODES.length)] ?? 0;
  const temperatureC = round(climateC + (random() - 0.5) * 6, 1);
  const current: FakeCurrentWeather = {
    temperatureC,
    apparentTemperatureC: round(temperatureC + (random() - 0.6) * 3, 1),
    relativeHumidity: Math.round(40 + random() * 50),
    weatherCode: pick(),
    windSpeedKmh: round(random() * 30, 1),
    windDirectionDeg: Math.round(random() * 359),
    precipitationMm: 0,
  };
  if (current.weatherCode >= 51) current.precipitationMm = round(random() * 1.5, 1);
  const daily: FakeDailyWeather[] = [];
  for (let i = 0; i < days; i++) {
    const weatherCode = pick();
    const wet = weatherCode >= 51;
    const maxC = round(climateC + 3 + (random() - 0.5) * 6, 1);
    daily.push({
      weatherCode,
      maxC,
      minC: round(maxC - 6 - random() * 5, 1),
      precipitationMm: wet ? round(0.2 + random() * 8, 1) : 0,
      precipitationProbability: wet ? Math.round(35 + random() * 60) : Math.round(random() * 20),
    });
  }
  return { current, daily };
}

/** Offset (seconds) of an IANA zone at an instant, via Intl. */
function zoneOffsetSeconds(timezone: string, atMs: number): number {
  const part = new Intl.DateTimeFormat("en-US", { timeZone: timezone, timeZoneName: "longOffset" })
    .formatToParts(new Date(atMs))
    .find((p) => p.type === "timeZoneName")?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? "");
  if (!match) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60;
  return match[1] === "-" ? -seconds : seconds;
}

function zoneAbbreviation(timezone: string, atMs: number, offset: number): string {
  const known = ZONE_ABBREVIATIONS[timezone];
  if (known) {
    const year = new Date(atMs).getUTCFullYear();
    const standard = Math.min(
      zoneOffsetSeconds(timezone, Date.UTC(year, 0, 1)),
      zoneOffsetSeconds(timezone, Date.UTC(year, 6, 1)),
    );
    return offset > standard ? known[1] : known[0];
  }
  const name = new Intl.DateTimeFormat("en-US", { timeZone: timezone, timeZoneName: "short" })
    .formatToParts(new Date(atMs))
    .find((p) => p.type === "timeZoneName")?.value;
  return name ?? "GMT";
}

function nearestPlace(places: FakePlace[], latitude: number, longitude: number): FakePlace | undefined {
  let best: FakePlace | undefined;
  let bestDistance = 0.1;
  for (const place of places) {
    const d = Math.max(Math.abs(place.latitude - latitude), Math.abs(place.longitude - longitude));
    if (d <= bestDistance) {
      best = place;
      bestDistance = d;
    }
  }
  return best;
}

function forecast(places: FakePlace[], query: URLSearchParams, nowMs: number): Record<string, unknown> {
  const latitude = parseCoordinate(query, "latitude", 90);
  const longitude = parseCoordinate(query, "longitude", 180);
  const daysText = query.get("forecast_days") ?? "7";
  const days = Number(daysText);
  if (!Number.isInteger(days) || days < 0 || days > 16) {
    throw new BadRequest(`Forecast days is invalid. Allowed range 0 to 16. Given ${daysText}.`);
  }
  const temperature = parseUnit(query, "temperature_unit", TEMPERATURE_UNITS, "celsius");
  const wind = parseUnit(query, "wind_speed_unit", WIND_UNITS, "kmh");
  const precipitation = parseUnit(query, "precipitation_unit", PRECIPITATION_UNITS, "mm");
  const currentVars = parseVariables(query, "current", CURRENT_VARIABLES);
  const dailyVars = parseVariables(query, "daily", DAILY_VARIABLES);

  const place = nearestPlace(places, latitude, longitude);
  const requestedZone = query.get("timezone") ?? "GMT";
  // Real Open-Meteo resolves "auto" from the coordinates; the fake knows only its places' zones.
  const timezone = requestedZone === "auto" ? (place?.timezone ?? "GMT") : requestedZone;
  let offset: number;
  try {
    offset = timezone === "GMT" || timezone === "UTC" ? 0 : zoneOffsetSeconds(timezone, nowMs);
  } catch {
    throw new BadRequest(`Invalid timezone ${timezone}`);
  }
  const abbreviation =
    offset === 0 && (timezone === "GMT" || timezone === "UTC") ? "GMT" : zoneAbbreviation(timezone, nowMs, offset);

  const generated = generatedWeather(latitude, longitude, place?.climateC ?? 15, days);
  const scripted = place?.weather;
  const current = scripted?.current ?? generated.current;
  const daily = Array.from({ length: days }, (_, i) => scripted?.daily[i] ?? generated.daily[i]!);

  const temp = (c: number) => (temperature.value === "fahrenheit" ? round((c * 9) / 5 + 32, 1) : round(c, 1));
  const speed = (kmh: number) => {
    switch (wind.value) {
      case "ms":
        return round(kmh / 3.6, 1);
      case "mph":
        return round(kmh / 1.609344, 1);
      case "kn":
        return round(kmh / 1.852, 1);
      default:
        return round(kmh, 1);
    }
  };
  const rain = (mm: number) => (precipitation.value === "inch" ? round(mm / 25.4, 3) : round(mm, 2));

  const localMs = nowMs + offset * 1000;
  const quarter = 15 * 60 * 1000;
  const localIso = new Date(Math.floor(localMs / quarter) * quarter).toISOString();
  const localHour = new Date(localMs).getUTCHours();

  const currentValues: Record<string, number> = {
    temperature_2m: temp(current.temperatureC),
    apparent_temperature: temp(current.apparentTemperatureC),
    relative_humidity_2m: current.relativeHumidity,
    weather_code: current.weatherCode,
    wind_speed_10m: speed(current.windSpeedKmh),
    wind_direction_10m: current.windDirectionDeg,
    precipitation: rain(current.precipitationMm),
    is_day: current.isDay ?? (localHour >= 6 && localHour < 21 ? 1 : 0),
    cloud_cover: [0, 1].includes(current.weatherCode) ? 10 : current.weatherCode === 2 ? 50 : 100,
  };
  const currentUnits: Record<string, string> = {
    temperature_2m: temperature.unit,
    apparent_temperature: temperature.unit,
    relative_humidity_2m: "%",
    weather_code: "wmo code",
    wind_speed_10m: wind.unit,
    wind_direction_10m: "°",
    precipitation: precipitation.unit,
    is_day: "",
    cloud_cover: "%",
  };
  const dailyUnits: Record<string, string> = {
    weather_code: "wmo code",
    temperature_2m_max: temperature.unit,
    temperature_2m_min: temperature.unit,
    precipitation_sum: precipitation.unit,
    precipitation_probability_max: "%",
  };
  const dailyColumn = (name: string): number[] =>
    daily.map((d) => {
      switch (name) {
        case "weather_code":
          return d.weatherCode;
        case "temperature_2m_max":
          return temp(d.maxC);
        case "temperature_2m_min":
          return temp(d.minC);
        case "precipitation_sum":
          return rain(d.precipitationMm);
        default:
          return d.precipitationProbability;
      }
    });

  const body: Record<string, unknown> = {
    latitude: round(latitude, 4),
    longitude: round(longitude, 4),
    generationtime_ms: 0.0981092,
    utc_offset_seconds: offset,
    timezone,
    timezone_abbreviation: abbreviation,
    elevation: place?.elevation ?? 0,
  };
  if (currentVars.length > 0) {
    body.current_units = { time: "iso8601", interval: "seconds", ...pickKeys(currentUnits, currentVars) };
    body.current = { time: localIso.slice(0, 16), interval: 900, ...pickKeys(currentValues, currentVars) };
  }
  if (dailyVars.length > 0) {
    const startDay = Date.UTC(
      new Date(localMs).getUTCFullYear(),
      new Date(localMs).getUTCMonth(),
      new Date(localMs).getUTCDate(),
    );
    body.daily_units = { time: "iso8601", ...pickKeys(dailyUnits, dailyVars) };
    const dailyBody: Record<string, unknown> = {
      time: daily.map((_, i) => new Date(startDay + i * 86_400_000).toISOString().slice(0, 10)),
    };
    for (const name of dailyVars) dailyBody[name] = dailyColumn(name);
    body.daily = dailyBody;
  }
  return body;
}

function pickKeys<T>(record: Record<string, T>, keys: string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of keys) {
    const value = record[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
