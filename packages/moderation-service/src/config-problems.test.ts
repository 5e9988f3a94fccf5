import { ConfigError } from "@dify-ext/server";
import { describe, expect, it } from "vitest";
import { loadModerationConfig } from "./config.ts";

async function problems(env: Record<string, string>, engines?: Parameters<typeof loadModerationConfig>[1]["engines"]) {
  const error = await loadModerationConfig(env, { defaultPort: 3000, engines }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return [...(error as ConfigError).problems];
}

describe("loadModerationConfig names every problem in one start-up", () => {
  it("reports a bad threshold together with other bad variables", async () => {
    const found = await problems({ MODERATION_ENGINES: "openai", OPENAI_THRESHOLDS: "violance=0.7", OPENAI_TIMEOUT_MS: "soon" });
    expect(found.map((line) => line.split(":")[0]).sort()).toEqual(["OPENAI_THRESHOLDS", "OPENAI_TIMEOUT_MS"]);
    expect(found.find((line) => line.startsWith("OPENAI_THRESHOLDS"))).toMatch(/unknown category "violance"/);
  });

  it("reports a missing API_KEYS and a missing OPENAI_API_KEY in production together", async () => {
    expect((await problems({ NODE_ENV: "production" }, ["openai"])).sort()).toEqual([
      "API_KEYS: required with NODE_ENV=production (comma-separated, at least 5 characters each)",
      "OPENAI_API_KEY: required by the openai engine with NODE_ENV=production",
    ]);
  });

  it("checks the openai variables when MODERATION_ENGINES names openai next to an unknown engine", async () => {
    const found = await problems({ MODERATION_ENGINES: "openai,perspective", OPENAI_THRESHOLDS: "violence=2" });
    expect(found.map((line) => line.split(":")[0]).sort()).toEqual(["MODERATION_ENGINES", "OPENAI_THRESHOLDS"]);
  });

  it("ignores the openai variables when openai is not used", async () => {
    const found = await problems({ MODERATION_ENGINES: "keywords,perspective", OPENAI_THRESHOLDS: "violence=2" });
    expect(found.map((line) => line.split(":")[0])).toEqual(["MODERATION_ENGINES"]);
    const config = await loadModerationConfig({ OPENAI_THRESHOLDS: "violence=2" }, { defaultPort: 3002, engines: ["obscenity"] });
    expect(config.openai.thresholds).toEqual({});
  });

  it("refuses an OPENAI_CACHE_TTL_MS of 0, which the engine cannot use (OPENAI_CACHE_MAX=0 disables the cache)", async () => {
    expect(await problems({ MODERATION_ENGINES: "openai", OPENAI_CACHE_TTL_MS: "0" })).toEqual([
      "OPENAI_CACHE_TTL_MS: expected a whole number from 1 to 86400000",
    ]);
    const config = await loadModerationConfig({ MODERATION_ENGINES: "openai", OPENAI_CACHE_MAX: "0" }, { defaultPort: 3000 });
    expect(config.openai.cache).toEqual({ max: 0, ttlMs: 600_000 });
  });

  it("reads the documented OpenAI defaults", async () => {
    const config = await loadModerationConfig({ MODERATION_ENGINES: "openai" }, { defaultPort: 3003 });
    expect(config.openai).toEqual({
      apiKey: undefined,
      baseURL: undefined,
      model: "omni-moderation-latest",
      timeoutMs: 4000,
      maxRetries: 1,
      thresholds: {},
      cache: { max: 10_000, ttlMs: 600_000 },
    });
    expect(config.policy).toEqual({
      input: { action: "block", presetResponse: "Sorry, your message was blocked by content moderation.", onEngineError: "open" },
      output: { action: "block", presetResponse: "Sorry, this answer was withheld by content moderation.", onEngineError: "open" },
      maskCharacter: "*",
    });
    expect(config.port).toBe(3003);
  });
});
