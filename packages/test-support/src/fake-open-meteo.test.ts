import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeOpenMeteo, SAMPLE_PLACES, startFakeOpenMeteo } from "./fake-open-meteo.ts";

let fake: FakeOpenMeteo;
beforeEach(async () => {
  fake = await startFakeOpenMeteo();
});
afterEach(async () => {
  await fake.close();
});

// biome-ignore lint/suspicious/noExplicitAny: replies are arbitrary JSON, checked by the assertions
async function get(path: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`${fake.url}${path}`);
  return { status: response.status, json: await response.json() };
}

const FULL_FORECAST =
  "/v1/forecast?latitude=48.85&longitude=2.35&timezone=auto&forecast_days=3" +
  "&current=temperature_2m,apparent_temperature,relative_humidity_2m,weather_code,wind_speed_10m,wind_direction_10m,precipitation,is_day" +
  "&daily=weather_code,temperature_2m_max,temperature_2m_min,precipitation_sum,precipitation_probability_max";

describe("geocoding", () => {
  it("answers several Paris candidates ranked by population, with Open-Meteo's fields", async () => {
    const { status, json } = await get("/v1/search?name=paris&count=10&language=en&format=json");
    expect(status).toBe(200);
    expect(json.results.map((r: { admin1: string; country_code: string }) => `${r.admin1}/${r.country_code}`)).toEqual([
      "Île-de-France/FR",
      "Texas/US",
      "Ontario/CA",
      "Tennessee/US",
    ]);
    expect(json.results[0]).toMatchObject({
      id: 2988507,
      name: "Paris",
      latitude: 48.85341,
      longitude: 2.3488,
      feature_code: "PPLC",
      country: "France",
      timezone: "Europe/Paris",
    });
    expect(json.results[0]).not.toHaveProperty("weather");
    expect(json.results[0]).not.toHaveProperty("climateC");
    expect(typeof json.generationtime_ms).toBe("number");
  });

  it("omits results for an unknown place and honours count", async () => {
    expect((await get("/v1/search?name=Atlantis")).json).toEqual({ generationtime_ms: expect.any(Number) });
    expect((await get("/v1/search?name=paris&count=1")).json.results).toHaveLength(1);
    expect((await get("/v1/search?name=sao%20paulo")).json.results[0].name).toBe("São Paulo");
  });

  it("answers 400 with Open-Meteo's error body for a missing name", async () => {
    const { status, json } = await get("/v1/search?count=1");
    expect(status).toBe(400);
    expect(json).toEqual({ error: true, reason: expect.stringContaining("name") });
  });

  it("serves places added by the test", async () => {
    fake.places.add({ id: 1, name: "Atlantis", latitude: 10, longitude: 20, timezone: "GMT", country: "Ocean" });
    expect((await get("/v1/search?name=atlantis")).json.results[0].country).toBe("Ocean");
    fake.places.replace([]);
    expect((await get("/v1/search?name=paris")).json.results).toBeUndefined();
    fake.places.reset();
    expect((await get("/v1/search?name=paris")).json.results).toHaveLength(4);
  });
});

describe("forecast", () => {
  it("answers the documented shape with parallel daily arrays", async () => {
    const { status, json } = await get(FULL_FORECAST);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      utc_offset_seconds: 7200,
      timezone: "Europe/Paris",
      timezone_abbreviation: "CEST",
      current_units: { temperature_2m: "°C", wind_speed_10m: "km/h", precipitation: "mm" },
      current: { time: "2026-07-04T14:15", interval: 900, temperature_2m: 22.4, weather_code: 2 },
      daily_units: { temperature_2m_max: "°C", precipitation_probability_max: "%" },
    });
    expect(json.daily.time).toEqual(["2026-07-04", "2026-07-05", "2026-07-06"]);
    for (const key of ["weather_code", "temperature_2m_max", "temperature_2m_min", "precipitation_sum"]) {
      expect(json.daily[key]).toHaveLength(3);
    }
  });

  it("converts to fahrenheit, mph and inch", async () => {
    const { json } = await get(
      `${FULL_FORECAST}&temperature_unit=fahrenheit&wind_speed_unit=mph&precipitation_unit=inch`,
    );
    expect(json.current_units).toMatchObject({ temperature_2m: "°F", wind_speed_10m: "mph", precipitation: "inch" });
    expect(json.current.temperature_2m).toBe(72.3);
    expect(json.current.wind_speed_10m).toBe(7.8);
    expect(json.daily.precipitation_sum[1]).toBe(0.181);
  });

  it("honours forecast_days, generating days and places deterministically", async () => {
    const a = await get(FULL_FORECAST.replace("forecast_days=3", "forecast_days=16"));
    const b = await get(FULL_FORECAST.replace("forecast_days=3", "forecast_days=16"));
    expect(a.json.daily.time).toHaveLength(16);
    expect(a.json).toEqual(b.json);
    const nowhere = await get("/v1/forecast?latitude=-10&longitude=-30&current=temperature_2m&timezone=auto");
    expect(nowhere.json.timezone).toBe("GMT");
    expect(typeof nowhere.json.current.temperature_2m).toBe("number");
  });

  it("answers 400 errors like Open-Meteo", async () => {
    expect(await get("/v1/forecast?longitude=2")).toEqual({
      status: 400,
      json: { error: true, reason: expect.stringContaining("latitude") },
    });
    expect((await get("/v1/forecast?latitude=91&longitude=2")).json.reason).toMatch(/Latitude must be in range/);
    expect((await get("/v1/forecast?latitude=1&longitude=2&forecast_days=17")).status).toBe(400);
    expect((await get("/v1/forecast?latitude=1&longitude=2&current=bogus")).status).toBe(400);
  });
});

describe("scripting and bookkeeping", () => {
  it("counts calls per endpoint and logs path and query", async () => {
    await get("/v1/search?name=Berlin");
    await get(FULL_FORECAST);
    expect(fake.calls.geocoding).toBe(1);
    expect(fake.calls.forecast).toBe(1);
    expect(fake.calls.log[0]).toEqual({ path: "/v1/search", query: { name: "Berlin" } });
    fake.resetCalls();
    expect(fake.calls).toMatchObject({ geocoding: 0, forecast: 0, log: [] });
  });

  it("plays a limited script, then answers normally", async () => {
    fake.script("geocoding", { kind: "status", status: 429, body: { error: true, reason: "Too many" } }, { times: 1 });
    expect((await get("/v1/search?name=Berlin")).status).toBe(429);
    expect((await get("/v1/search?name=Berlin")).status).toBe(200);
    // The forecast endpoint was not affected.
    expect((await get(FULL_FORECAST)).status).toBe(200);
  });

  it("sends malformed JSON", async () => {
    fake.script("forecast", { kind: "malformed-json" });
    const response = await fetch(`${fake.url}${FULL_FORECAST}`);
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
  });

  it("resets the connection", async () => {
    fake.script("geocoding", { kind: "reset" });
    await expect(fetch(`${fake.url}/v1/search?name=Berlin`)).rejects.toThrow();
  });

  it("hangs until the client gives up, and close() ends hanging requests", async () => {
    fake.script("forecast", { kind: "hang" });
    await expect(fetch(`${fake.url}${FULL_FORECAST}`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    const pending = fetch(`${fake.url}${FULL_FORECAST}`).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fake.close();
    expect(await pending).toBeInstanceOf(Error);
    fake = await startFakeOpenMeteo();
  });

  it("delays and drips a normal answer", async () => {
    fake.script("geocoding", { kind: "delay", ms: 20 }, { times: 1 });
    expect((await get("/v1/search?name=Tokyo")).json.results[0].country).toBe("Japan");
    fake.script("geocoding", { kind: "drip", intervalMs: 1, chunkBytes: 64 }, { times: 1 });
    expect((await get("/v1/search?name=Tokyo")).json.results[0].country).toBe("Japan");
  });

  it("keeps its built-in places unchanged by tests", () => {
    expect(Object.isFrozen(SAMPLE_PLACES)).toBe(true);
    expect(SAMPLE_PLACES.filter((p) => p.name === "Paris").length).toBeGreaterThanOrEqual(3);
  });
});
