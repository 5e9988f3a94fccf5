import { createGuardEngine, GUARD_SETTINGS } from "@dify-ext/moderation-engines/guard";
import { expectBoundsOf, problemsOf } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { guard } from "./guard.ts";

const readGuardSettings = (env: Record<string, string>) => guard.read(env);

const BASE = { GUARD_BASE_URL: "http://127.0.0.1:11434/v1", GUARD_MODEL: "llama-guard3:8b" };

describe("readGuardSettings", () => {
  it("takes every numeric default and bound from the engine's GUARD_SETTINGS, and infers the format", () => {
    expect(readGuardSettings(BASE)).toEqual({
      baseURL: BASE.GUARD_BASE_URL,
      model: "llama-guard3:8b",
      apiKey: undefined,
      format: "llama-guard",
      categories: {},
      controversial: "block",
      timeoutMs: GUARD_SETTINGS.timeoutMs.default,
      maxRetries: GUARD_SETTINGS.maxRetries.default,
      cache: { max: GUARD_SETTINGS.cacheMax.default, ttlMs: GUARD_SETTINGS.cacheTtlMs.default },
      window: { chars: GUARD_SETTINGS.windowChars.default, overlapChars: GUARD_SETTINGS.windowOverlapChars.default },
      maxConcurrency: GUARD_SETTINGS.maxConcurrency.default,
    });
    const variables = {
      GUARD_TIMEOUT_MS: GUARD_SETTINGS.timeoutMs,
      GUARD_MAX_RETRIES: GUARD_SETTINGS.maxRetries,
      GUARD_CACHE_MAX: GUARD_SETTINGS.cacheMax,
      GUARD_CACHE_TTL_MS: GUARD_SETTINGS.cacheTtlMs,
      GUARD_MAX_CONCURRENCY: GUARD_SETTINGS.maxConcurrency,
    };
    expectBoundsOf(readGuardSettings, variables, BASE);
  });

  it("accepts exactly what the engine accepts", () => {
    const settings = readGuardSettings({ ...BASE, GUARD_TIMEOUT_MS: String(GUARD_SETTINGS.timeoutMs.max) });
    const { baseURL, model, apiKey: _, format, categories, ...options } = settings;
    expect(() => createGuardEngine({ baseURL: baseURL!, model: model!, format, categories, ...options })).not.toThrow();
  });

  it("requires GUARD_BASE_URL and GUARD_MODEL in production, GUARD_MODEL with a URL, and nothing in development", () => {
    expect(problemsOf(() => readGuardSettings({ NODE_ENV: "production" }))).toEqual([
      "GUARD_BASE_URL: required by the guard engine with NODE_ENV=production",
      "GUARD_MODEL: required by the guard engine with GUARD_BASE_URL (the model name the server knows)",
    ]);
    expect(problemsOf(() => readGuardSettings({ GUARD_BASE_URL: BASE.GUARD_BASE_URL }))[0]).toMatch(/^GUARD_MODEL:/);
    expect(readGuardSettings({}).baseURL).toBeUndefined();
  });

  it("names a model whose format cannot be told, and takes GUARD_FORMAT", () => {
    expect(problemsOf(() => readGuardSettings({ ...BASE, GUARD_MODEL: "my-guard" }))).toEqual([
      'GUARD_FORMAT: cannot tell the guard model\'s format from its name "my-guard"; set GUARD_FORMAT to one of llama-guard, qwen3guard, shieldgemma',
    ]);
    expect(readGuardSettings({ ...BASE, GUARD_MODEL: "my-guard", GUARD_FORMAT: "qwen3guard" }).format).toBe(
      "qwen3guard",
    );
    expect(problemsOf(() => readGuardSettings({ ...BASE, GUARD_FORMAT: "llamaguard" }))[0]).toBe(
      "GUARD_FORMAT: expected one of llama-guard, qwen3guard, shieldgemma",
    );
    expect(problemsOf(() => readGuardSettings({ ...BASE, GUARD_MODEL: "Qwen/Qwen3Guard-Stream-4B" }))[0]).toMatch(
      /^GUARD_MODEL: .*no chat endpoint/,
    );
  });

  it("reads categories per point (ids or names, all, none), naming an unknown one", () => {
    const settings = readGuardSettings({
      ...BASE,
      GUARD_INPUT_CATEGORIES: "S1, hate ,S1",
      GUARD_OUTPUT_CATEGORIES: "none",
    });
    expect(settings.categories).toEqual({ input: ["S1", "S10"], output: [] });
    expect(readGuardSettings({ ...BASE, GUARD_INPUT_CATEGORIES: "ALL" }).categories).toEqual({});
    const found = problemsOf(() =>
      readGuardSettings({ ...BASE, GUARD_INPUT_CATEGORIES: "S1,gore", GUARD_OUTPUT_CATEGORIES: "constructor" }),
    );
    expect(found.map((line) => line.split(":")[0])).toEqual(["GUARD_INPUT_CATEGORIES", "GUARD_OUTPUT_CATEGORIES"]);
    expect(found[0]).toMatch(/unknown llama-guard category "gore"; known: S1 \(Violent Crimes\)/);
  });

  it("checks the overlap against the window, and never echoes the key", () => {
    expect(
      problemsOf(() => readGuardSettings({ ...BASE, GUARD_WINDOW_CHARS: "1000", GUARD_WINDOW_OVERLAP_CHARS: "500" })),
    ).toEqual(["GUARD_WINDOW_OVERLAP_CHARS: must be less than half of GUARD_WINDOW_CHARS (1000)"]);
    const found = problemsOf(() => readGuardSettings({ GUARD_API_KEY: "guard-secret-99", GUARD_BASE_URL: "nope" }));
    expect(found.join("\n")).not.toContain("guard-secret-99");
    expect(found).toContain("GUARD_BASE_URL: expected a URL such as http://127.0.0.1:11434/v1");
  });
});
