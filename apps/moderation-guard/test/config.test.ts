import { problemNames, problemsOf } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const problems = (env: Record<string, string>) => problemsOf(() => loadConfig(env));

describe("the guard app's config", () => {
  it("reads the documented defaults, on port 3006", () => {
    const config = loadConfig({ GUARD_BASE_URL: "http://127.0.0.1:11434/v1", GUARD_MODEL: "llama-guard3:8b" });
    expect(config.port).toBe(3006);
    expect(config.engines).toEqual({
      guard: {
        baseURL: "http://127.0.0.1:11434/v1",
        model: "llama-guard3:8b",
        apiKey: undefined,
        format: "llama-guard",
        categories: {},
        controversial: "block",
        timeoutMs: 5000,
        maxRetries: 1,
        cache: { max: 10_000, ttlMs: 600_000 },
        window: { chars: 4000, overlapChars: 400 },
        maxConcurrency: 8,
      },
    });
    expect(config.policy.input.onEngineError).toBe("open");
  });

  it("starts without GUARD_BASE_URL outside production (the engine then reports not ready)", () => {
    expect(loadConfig({}).engines.guard?.baseURL).toBeUndefined();
  });

  it("reports a missing API_KEYS, GUARD_BASE_URL and GUARD_MODEL in production together", () => {
    expect(problemNames(problems({ NODE_ENV: "production" }))).toEqual(["API_KEYS", "GUARD_BASE_URL", "GUARD_MODEL"]);
  });

  it("knows only the guard, policy and shared variables", () => {
    expect(Object.keys(loadConfig({ MODERATION_ENGINES: "keywords", OPENAI_TIMEOUT_MS: "x" }).engines)).toEqual([
      "guard",
    ]);
  });
});
