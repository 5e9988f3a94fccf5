import { problemsOf, refusedTogether } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const problems = (env: Record<string, string>) => problemsOf(() => loadConfig(env));

describe("the OpenAI app's config", () => {
  it("reads the documented defaults, on port 3003", () => {
    const config = loadConfig({});
    expect(config.engines).toEqual({
      openai: {
        apiKey: undefined,
        baseURL: undefined,
        model: "omni-moderation-latest",
        timeoutMs: 4000,
        maxRetries: 1,
        thresholds: {},
        cache: { max: 10_000, ttlMs: 600_000 },
      },
    });
    expect(config.policy).toEqual({
      input: {
        action: "block",
        presetResponse: "Sorry, your message was blocked by content moderation.",
        onEngineError: "open",
      },
      output: {
        action: "block",
        presetResponse: "Sorry, this answer was withheld by content moderation.",
        onEngineError: "open",
      },
    });
    expect(config.port).toBe(3003);
  });

  it("reports a bad threshold together with other bad variables", () => {
    const found = refusedTogether(loadConfig, { OPENAI_THRESHOLDS: "violance=0.7", OPENAI_TIMEOUT_MS: "soon" });
    expect(found.find((line) => line.startsWith("OPENAI_THRESHOLDS"))).toMatch(/unknown category "violance"/);
  });

  it("bounds OPENAI_TIMEOUT_MS where the engine does (one definition), so the worst case stays under Dify's 60 s", () => {
    expect(problems({ OPENAI_TIMEOUT_MS: "29001" })).toEqual([
      "OPENAI_TIMEOUT_MS: expected a whole number from 100 to 29000",
    ]);
    expect(loadConfig({ OPENAI_TIMEOUT_MS: "29000" }).engines.openai?.timeoutMs).toBe(29_000);
  });

  it("reports a missing API_KEYS and a missing OPENAI_API_KEY in production together", () => {
    expect(problems({ NODE_ENV: "production" }).sort()).toEqual([
      "API_KEYS: required with NODE_ENV=production (comma-separated, at least 5 characters each)",
      "OPENAI_API_KEY: required by the openai engine with NODE_ENV=production",
    ]);
  });

  it("refuses an OPENAI_CACHE_TTL_MS of 0, which the engine cannot use (OPENAI_CACHE_MAX=0 disables the cache)", () => {
    expect(problems({ OPENAI_CACHE_TTL_MS: "0" })).toEqual([
      "OPENAI_CACHE_TTL_MS: expected a whole number from 1 to 86400000",
    ]);
    expect(loadConfig({ OPENAI_CACHE_MAX: "0" }).engines.openai?.cache).toEqual({ max: 0, ttlMs: 600_000 });
  });

  it("knows only the OpenAI, policy and shared variables", () => {
    expect(Object.keys(loadConfig({ MODERATION_ENGINES: "keywords", KEYWORDS_MATCH: "fuzzy" }).engines)).toEqual([
      "openai",
    ]);
  });
});
