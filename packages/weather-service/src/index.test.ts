import { loadedBudgetMs } from "@dify-ext/test-support/budget";
import { createServer } from "node:net";
import {
  type FakeBehaviour,
  type FakeEndpoint,
  type FakeOpenMeteo,
  startFakeOpenMeteo,
} from "@dify-ext/test-support/fake-open-meteo";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ATTRIBUTION, createWeatherService, MAX_RESULT_LENGTH, type WeatherServiceOptions } from "./index.ts";
import { isWellFormed } from "./text.ts";
import { mulberry32 } from "@dify-ext/test-support/random";

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

let fake: FakeOpenMeteo;
let logs: LogLine[];

function logger() {
  const at =
    (level: string) =>
    (fields: object, message?: string): void => {
      logs.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function service(options: WeatherServiceOptions = {}) {
  return createWeatherService({ geocodingBaseUrl: fake.url, forecastBaseUrl: fake.url, logger: logger(), ...options });
}

beforeEach(async () => {
  fake = await startFakeOpenMeteo();
  logs = [];
});
afterEach(async () => {
  await fake.close();
});

describe("a known city", () => {
  it("answers place, region, country, local time, current conditions, outlook and attribution", async () => {
    const text = await service().lookup("Paris");
    expect(text).toBe(
      "Current weather in Paris, Île-de-France, France (local time Sat 4 Jul 14:15 CEST): " +
        "22.4°C (feels like 21.9°C), partly cloudy, humidity 55%, wind 13 km/h from SW, no precipitation. " +
        "Outlook: Today: light rain showers, 14–23°C, 40% chance of precipitation (1.2 mm); " +
        "Sun: light rain, 12–17°C, 85% chance of precipitation (4.6 mm); " +
        "Mon: overcast, 12–20°C, 10% chance of precipitation. " +
        "Weather data by Open-Meteo.com (CC BY 4.0).",
    );
    expect(text.length).toBeLessThan(MAX_RESULT_LENGTH);
  });

  it("sends the documented geocoding and forecast requests", async () => {
    await service({ language: "fr" }).lookup("Paris, Texas");
    const [search, forecast] = fake.calls.log;
    expect(search).toEqual({
      path: "/v1/search",
      query: { name: "Paris", count: "10", language: "fr", format: "json" },
    });
    expect(forecast?.path).toBe("/v1/forecast");
    expect(forecast?.query).toEqual({
      latitude: "33.66",
      longitude: "-95.56",
      current:
        "temperature_2m,apparent_temperature,relative_humidity_2m,weather_code,wind_speed_10m,wind_direction_10m,precipitation,is_day",
      daily: "weather_code,temperature_2m_max,temperature_2m_min,precipitation_sum,precipitation_probability_max",
      timezone: "auto",
      forecast_days: "3",
    });
  });

  it("asks for imperial units and reports them", async () => {
    const text = await service({ units: "imperial" }).lookup("Paris");
    expect(fake.calls.log[1]?.query).toMatchObject({
      temperature_unit: "fahrenheit",
      wind_speed_unit: "mph",
      precipitation_unit: "inch",
    });
    expect(text).toContain("72.3°F (feels like 71.4°F)");
    expect(text).toContain("wind 8 mph from SW");
    expect(text).toContain("Today: light rain showers, 57–74°F, 40% chance of precipitation (0.05 inch)");
    expect(text).not.toContain("°C");
  });

  it("honours forecastDays, trimming the outlook to fit", async () => {
    const weather = service({ forecastDays: 1 });
    const one = await weather.lookup("Berlin");
    expect(one).toMatch(/Outlook: Today: [^;]+\. Weather data/);
    const sixteen = await service({ forecastDays: 16 }).lookup("Berlin");
    expect(fake.calls.log.at(-1)?.query.forecast_days).toBe("16");
    expect(sixteen.length).toBeLessThanOrEqual(MAX_RESULT_LENGTH);
    expect(sixteen.split("; ").length).toBeGreaterThan(3);
    expect(sixteen.endsWith(ATTRIBUTION)).toBe(true);
  });

  it("answers a Dify call from the configured input variable", async () => {
    const weather = service({ locationVariable: "city" });
    expect(await weather.respond({ inputs: { city: " Tokyo " }, query: "" })).toContain("Tokyo, Japan");
    expect(await weather.respond({ inputs: { location: "Tokyo" }, query: "weather in Tokyo?" })).toBe(
      "No location was given: set the 'city' input to a city name.",
    );
    expect(await weather.respond({ inputs: { city: 42 }, query: null })).toContain("No location was given");
    expect(await weather.respond({ inputs: null, query: null })).toContain("No location was given");
  });
});

describe("ambiguous names", () => {
  it("takes Open-Meteo's best match without a hint", async () => {
    expect(await service().lookup("Paris")).toContain("Paris, Île-de-France, France");
  });

  it.each([
    ["Paris, Texas", "Paris, Texas, United States"],
    ["Paris, TX", "Paris, Texas, United States"],
    ["Paris, US", "Paris, Texas, United States"],
    ["Paris, Tennessee", "Paris, Tennessee, United States"],
    ["Paris, Ontario", "Paris, Ontario, Canada"],
    ["Paris, Canada", "Paris, Ontario, Canada"],
    ["Springfield, IL", "Springfield, Illinois, United States"],
    ["Springfield, MA", "Springfield, Massachusetts, United States"],
    ["Springfield", "Springfield, Missouri, United States"],
    ["London, ON", "London, Ontario, Canada"],
    ["London, UK", "London, England, United Kingdom"],
  ])("resolves %s", async (input, expected) => {
    expect(await service().lookup(input)).toContain(`Current weather in ${expected} (`);
  });

  it("says not found when a hint matches no candidate", async () => {
    expect(await service().lookup("Paris, Narnia")).toBe("No weather found for 'Paris, Narnia'.");
  });
});

describe("unknown places", () => {
  it("says no weather was found, quoting the place trimmed", async () => {
    expect(await service().lookup("  Atlantis ")).toBe("No weather found for 'Atlantis'.");
    expect(fake.calls.forecast).toBe(0);
  });

  it("answers empty input with the missing-location sentence without calling upstream", async () => {
    const weather = service();
    for (const input of ["", "   ", "\n\t"]) {
      expect(await weather.lookup(input)).toBe("No location was given: set the 'location' input to a city name.");
    }
    expect(fake.calls.log).toHaveLength(0);
  });

  it("does not search for one character or for a name too long to be a place", async () => {
    const weather = service();
    expect(await weather.lookup("X")).toBe("No weather found for 'X'.");
    const long = await weather.lookup("Paris".repeat(100));
    expect(long).toMatch(/^No weather found for '(Paris){11}Pari…'\.$/);
    expect(fake.calls.geocoding).toBe(0);
  });
});

describe("names of Object.prototype members", () => {
  // "Paris, constructor" once read REGION_CODES.US.constructor (a function) and answered "internal error".
  const members = Object.getOwnPropertyNames(Object.prototype);
  const places = members.flatMap((name) => [`Paris, ${name}`, name, `${name}, FR`, `Springfield, ${name}`]);

  it.each(places)("%s gets a found place or the not-found sentence", async (place) => {
    const answer = await service().lookupDetailed(place);
    expect(answer.outcome === "found" || answer.outcome === "not_found").toBe(true);
    expect(answer.result).toMatch(
      /^(Current weather in .*Weather data by Open-Meteo\.com|No weather found for '.*'\.)/,
    );
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
  });

  it("still reads a real region code after one", async () => {
    const weather = service();
    expect((await weather.lookupDetailed("Paris, constructor")).outcome).toBe("not_found");
    expect(await weather.lookup("Paris, TX")).toMatch(/^Current weather in Paris, Texas, United States /);
  });
});

const FAILURES: Array<{
  name: string;
  behaviour: FakeBehaviour;
  kind: string;
  sentence: string;
  status?: number;
}> = [
  { name: "a hang", behaviour: { kind: "hang" }, kind: "timeout", sentence: "did not answer in time" },
  {
    name: "a slow drip of the body",
    behaviour: { kind: "drip", intervalMs: 100, chunkBytes: 1 },
    kind: "timeout",
    sentence: "did not answer in time",
  },
  {
    name: "HTTP 500",
    behaviour: { kind: "status", status: 500, body: "Traceback: secret internals" },
    kind: "http",
    status: 500,
    sentence: "had an internal error, HTTP 500",
  },
  {
    name: "HTTP 400 error JSON",
    behaviour: { kind: "status", status: 400, body: { error: true, reason: "Parameter 'x' is invalid\n<script>" } },
    kind: "rejected",
    status: 400,
    sentence: "rejected the request: Parameter 'x' is invalid <script>",
  },
  {
    name: "HTTP 429",
    behaviour: {
      kind: "status",
      status: 429,
      body: { error: true, reason: "Minutely API request limit exceeded. Please try again in one minute." },
    },
    kind: "rate-limited",
    status: 429,
    sentence: "is receiving too many requests; try again in a minute",
  },
  {
    name: "malformed JSON",
    behaviour: { kind: "malformed-json" },
    kind: "malformed",
    sentence: "sent a reply that could not be read",
  },
  {
    name: "a reply of the wrong shape",
    behaviour: { kind: "status", status: 200, body: { results: "Paris", current: [1, 2] } },
    kind: "shape",
    sentence: "sent a reply that could not be read",
  },
  { name: "a connection reset", behaviour: { kind: "reset" }, kind: "network", sentence: "could not be reached" },
];

describe.each(["geocoding", "forecast"] as const)("failures of the %s API", (endpoint: FakeEndpoint) => {
  it.each(FAILURES)(
    "answers $name with one sentence and one log line",
    async ({ behaviour, kind, sentence, status }) => {
      // Short, so the hangs cost little; long enough for the good geocoding answer before a forecast failure.
      const timeoutMs = 2000;
      const weather = service({ timeoutMs });
      fake.script(endpoint, behaviour, { times: 1 });

      const started = Date.now();
      const text = await weather.lookup("Paris");
      // At most two upstream calls within the timeout each, with room for a busy machine.
      expect(Date.now() - started).toBeLessThan(loadedBudgetMs(2 * timeoutMs));

      expect(text).toBe(`Weather for 'Paris' is unavailable right now (the weather service ${sentence}).`);
      expect(text).not.toContain("Traceback");
      const warnings = logs.filter((line) => line.level === "warn");
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.fields).toMatchObject({ upstream: `open-meteo-${endpoint}`, kind });
      if (status !== undefined) expect(warnings[0]?.fields.status).toBe(status);
      if (kind !== "shape") expect(warnings[0]?.fields.durationMs).toEqual(expect.any(Number));
      // The place (end-user text) appears only in debug lines.
      for (const line of logs.filter((l) => l.level !== "debug")) expect(JSON.stringify(line)).not.toContain("Paris");

      // Failures are not cached: the next question reaches the (now healthy) upstream and succeeds.
      expect(await weather.lookup("Paris")).toContain("Current weather in Paris, Île-de-France, France");
    },
  );
});

describe("an unreachable service", () => {
  it("answers connection refused with one sentence", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const weather = service({ geocodingBaseUrl: `http://127.0.0.1:${port}` });
    expect(await weather.lookup("Paris")).toBe(
      "Weather for 'Paris' is unavailable right now (the weather service could not be reached).",
    );
    expect(logs.find((l) => l.level === "warn")?.fields).toMatchObject({
      upstream: "open-meteo-geocoding",
      kind: "network",
      code: "ECONNREFUSED",
    });
  });
});

describe("caching", () => {
  it("reuses geocoding answers and forecasts", async () => {
    const weather = service();
    const first = await weather.lookup("Paris");
    expect(await weather.lookup("paris")).toBe(first);
    expect(await weather.lookup(" Paris ")).toBe(first);
    expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 1 });

    // Same name, other candidate: the geocoding answer is reused, the forecast is new.
    expect(await weather.lookup("Paris, Texas")).toContain("Texas");
    expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 2 });

    // Units and days are part of the forecast key.
    await weather.lookup("Paris", { units: "imperial" });
    await weather.lookup("Paris", { forecastDays: 5 });
    expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 4 });

    weather.clearCache();
    await weather.lookup("Paris");
    expect(fake.calls).toMatchObject({ geocoding: 2, forecast: 5 });
  });

  it("expires forecasts, geocoding answers and not-found answers after their TTLs", async () => {
    let now = 1_000_000;
    const weather = service({
      now: () => now,
      weatherTtlMs: 10 * 60_000,
      geocodeTtlMs: 24 * 3_600_000,
      notFoundTtlMs: 5 * 60_000,
    });
    await weather.lookup("Berlin");
    await weather.lookup("Atlantis");
    await weather.lookup("Atlantis");
    expect(fake.calls).toMatchObject({ geocoding: 2, forecast: 1 });

    now += 6 * 60_000; // not-found expired, forecast still fresh
    await weather.lookup("Atlantis");
    await weather.lookup("Berlin");
    expect(fake.calls).toMatchObject({ geocoding: 3, forecast: 1 });

    now += 5 * 60_000; // forecast expired, place still known
    await weather.lookup("Berlin");
    expect(fake.calls).toMatchObject({ geocoding: 3, forecast: 2 });

    now += 24 * 3_600_000; // everything expired
    await weather.lookup("Berlin");
    expect(fake.calls).toMatchObject({ geocoding: 4, forecast: 3 });
  });

  it("keeps at most cacheMax entries per cache", async () => {
    const weather = service({ cacheMax: 2 });
    for (const city of ["Paris", "Berlin", "Tokyo", "Paris"]) await weather.lookup(city);
    expect(fake.calls).toMatchObject({ geocoding: 4, forecast: 4 });
  });

  it("counts what upstream answered against cacheMaxBytes: huge replies are evicted, not piled up", async () => {
    // A geocoding reply with a 200,000-character region name: about 400 KB kept per name.
    const huge = { results: [{ name: "Bigtown", latitude: 48.85, longitude: 2.35, admin1: "y".repeat(200_000) }] };
    fake.script("geocoding", { kind: "status", status: 200, body: huge }, { times: 5 });
    const weather = service({ cacheMaxBytes: 1024 * 1024 });
    for (const name of ["Aaa", "Bbb", "Ccc", "Ddd", "Aaa"]) await weather.lookup(name);
    // Four such answers do not fit in 1 MiB: "Aaa" was evicted and asked again.
    expect(fake.calls).toMatchObject({ geocoding: 5 });
  });

  it("shares one upstream call among concurrent identical lookups", async () => {
    fake.script("geocoding", { kind: "delay", ms: 50 }, { times: 1 });
    const weather = service();
    const texts = await Promise.all(Array.from({ length: 10 }, () => weather.lookup("Berlin")));
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toContain("Berlin, Land Berlin, Germany");
    expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 1 });
  });

  it("shares one failing upstream call too, and does not keep the failure", async () => {
    fake.script("forecast", { kind: "status", status: 503, body: "down" }, { times: 1 });
    const weather = service();
    const texts = await Promise.all(Array.from({ length: 10 }, () => weather.lookup("Tokyo")));
    expect(new Set(texts)).toEqual(
      new Set(["Weather for 'Tokyo' is unavailable right now (the weather service had an internal error, HTTP 503)."]),
    );
    expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 1 });
    expect(await weather.lookup("Tokyo")).toContain("Tokyo, Japan");
    expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 2 });
  });
});

describe("lookupDetailed and respondDetailed", () => {
  it("report the outcome and how each cache answered, without the place", async () => {
    const weather = service();
    expect(await weather.lookupDetailed("Paris")).toMatchObject({
      outcome: "found",
      cache: { geocoding: "miss", forecast: "miss" },
    });
    const again = await weather.lookupDetailed("Paris");
    expect(again).toEqual({
      result: await weather.lookup("Paris"),
      outcome: "found",
      cache: { geocoding: "hit", forecast: "hit" },
    });
    expect(await weather.lookupDetailed("Paris, Texas")).toMatchObject({
      outcome: "found",
      cache: { geocoding: "hit", forecast: "miss" },
    });
    expect(await weather.lookupDetailed("Atlantis")).toEqual({
      result: "No weather found for 'Atlantis'.",
      outcome: "not_found",
      cache: { geocoding: "miss" },
    });
    expect(await weather.respondDetailed({ inputs: { location: ["Paris"] }, query: "" })).toEqual({
      result: "No location was given: set the 'location' input to a city name.",
      outcome: "missing_location",
      cache: {},
    });
  });

  it("tell which requests joined one already under way", async () => {
    fake.script("geocoding", { kind: "delay", ms: 50 }, { times: 1 });
    const weather = service();
    const answers = await Promise.all(Array.from({ length: 5 }, () => weather.lookupDetailed("Berlin")));
    expect(answers.map((a) => a.cache.geocoding)).toEqual(["miss", "inflight", "inflight", "inflight", "inflight"]);
    expect(fake.calls).toMatchObject({ geocoding: 1, forecast: 1 });
  });

  it("name the failing upstream", async () => {
    fake.script("forecast", { kind: "status", status: 503, body: "down" }, { times: 1 });
    expect(await service().respondDetailed({ inputs: { location: "Tokyo" } })).toEqual({
      result: "Weather for 'Tokyo' is unavailable right now (the weather service had an internal error, HTTP 503).",
      outcome: "upstream_error",
      cache: { geocoding: "miss", forecast: "miss" },
      failure: { upstream: "forecast", kind: "http", status: 503 },
    });
  });
});

describe("any input", () => {
  // A seeded generator, so a failure reproduces.
  const random = mulberry32;
  const ALPHABETS = ["abcdefghijklmnopqrstuvwxyz ", "Paris,TexasUS ", "éèçàÎØßñ東京日本𝔘🌧️‮\u0000\n\t,，'\"\\"];

  function generate(next: () => number): string {
    const kind = Math.floor(next() * 6);
    if (kind === 0) return "";
    if (kind === 1) return " ".repeat(Math.floor(next() * 5));
    if (kind === 2) return "Paris, ".repeat(1 + Math.floor(next() * 400));
    const alphabet = Array.from(ALPHABETS[Math.floor(next() * ALPHABETS.length)] ?? "");
    const length = kind === 3 ? Math.floor(next() * 3000) : Math.floor(next() * 40);
    let out = "";
    for (let i = 0; i < length; i++) {
      out +=
        next() < 0.05
          ? String.fromCodePoint(Math.floor(next() * 0x10ffff))
          : (alphabet[Math.floor(next() * alphabet.length)] ?? "");
    }
    return out;
  }

  it("always gets one string under the limit", async () => {
    // A place whose metadata is itself absurd must not break the limit either.
    fake.places.add({
      id: 99,
      name: `Pa${"ŕ".repeat(300)}`,
      latitude: 1,
      longitude: 1,
      timezone: "GMT",
      admin1: "x".repeat(500),
      country: "🌧".repeat(200),
    });
    const weather = service({ forecastDays: 16 });
    const next = random(20260704);
    const inputs = [
      ...Array.from({ length: 300 }, () => generate(next)),
      `Pa${"ŕ".repeat(300)}`,
      "pa",
      "Par",
      "Paris\uD800",
      `\uDC00${"x".repeat(58)}\uD83C\uDF27`,
    ];
    for (const input of inputs) {
      const text = await weather.lookup(input);
      expect(typeof text).toBe("string");
      expect(text.length).toBeGreaterThan(0);
      expect(text.length).toBeLessThanOrEqual(MAX_RESULT_LENGTH);
      expect(isWellFormed(text)).toBe(true);
    }
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
  });
});

describe("options", () => {
  it.each([
    [{ units: "kelvin" }, /units/],
    [{ forecastDays: 0 }, /forecastDays/],
    [{ forecastDays: 17 }, /forecastDays/],
    [{ timeoutMs: -1 }, /timeoutMs/],
    [{ timeoutMs: 60_000 }, /timeoutMs/],
    [{ cacheMax: 1.5 }, /cacheMax/],
    [{ geocodingBaseUrl: "geocoding-api.open-meteo.com" }, /geocodingBaseUrl/],
    [{ forecastBaseUrl: "ftp://example.com" }, /forecastBaseUrl/],
    [{ language: "english please" }, /language/],
  ])("rejects %j", (options, message) => {
    expect(() => createWeatherService(options as WeatherServiceOptions)).toThrow(message);
  });

  it("has the documented defaults", () => {
    expect(createWeatherService().settings).toEqual({
      geocodingBaseUrl: "https://geocoding-api.open-meteo.com",
      forecastBaseUrl: "https://api.open-meteo.com",
      units: "metric",
      language: "en",
      forecastDays: 3,
      timeoutMs: 3000,
      weatherTtlMs: 600_000,
      geocodeTtlMs: 86_400_000,
      notFoundTtlMs: 600_000,
      cacheMax: 1000,
      cacheMaxBytes: 16 * 1024 * 1024,
      locationVariable: "location",
    });
  });

  it("sends an API key as apikey without logging it", async () => {
    fake.script("forecast", { kind: "status", status: 500 }, { times: 1 });
    await service({ apiKey: "secret-key-123" }).lookup("Paris");
    expect(fake.calls.log.map((c) => c.query.apikey)).toEqual(["secret-key-123", "secret-key-123"]);
    expect(JSON.stringify(logs)).not.toContain("secret-key-123");
  });
});
