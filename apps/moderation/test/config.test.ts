import { problemsOf, refusedTogether } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const problems = (env: Record<string, string>) => problemsOf(() => loadConfig(env));

describe("the composite app's config", () => {
  it("runs with no configuration: development key, keywords and obscenity, the sample list", () => {
    const config = loadConfig({});
    expect(Object.keys(config.engines)).toEqual(["keywords", "obscenity"]);
    expect(config.common.usingDevelopmentKey).toBe(true);
    expect(config.engines.keywords).toEqual({ listFiles: [], allowFiles: [], usingSampleList: true });
    expect(config.policy.input).toEqual({ action: "block", presetResponse: expect.any(String), onEngineError: "open" });
    expect(config.port).toBe(3000);
  });

  it("picks engines from MODERATION_ENGINES in any order and case", () => {
    expect(Object.keys(loadConfig({ MODERATION_ENGINES: "openai, keywords" }).engines)).toEqual(["keywords", "openai"]);
    expect(Object.keys(loadConfig({ MODERATION_ENGINES: "OBSCENITY" }).engines)).toEqual(["obscenity"]);
  });

  it("reads the pii variables only when MODERATION_ENGINES names pii, keeping the block default", () => {
    const config = loadConfig({ MODERATION_ENGINES: "pii,keywords", PII_TYPES: "email,card", PII_PHONE_REGION: "gb" });
    expect(Object.keys(config.engines)).toEqual(["keywords", "pii"]);
    expect(config.engines.pii).toEqual({ types: ["email", "card"], phoneRegion: "GB" });
    expect(config.policy.input.action).toBe("block");
    expect(loadConfig({ PII_TYPES: "passport" }).engines.pii).toBeUndefined();
    expect(problems({ MODERATION_ENGINES: "pii", PII_TYPES: "passport" })).toEqual([
      expect.stringMatching(/^PII_TYPES: unknown type #1 "passport"/),
    ]);
  });

  it("names an unknown engine", () => {
    expect(problems({ MODERATION_ENGINES: "keywords,perspective" })).toEqual([
      'MODERATION_ENGINES: unknown engine "perspective"; expected any of keywords, obscenity, injection, pii, openai, guard',
    ]);
  });

  it("reads the guard engine's variables only when MODERATION_ENGINES names it, and runs it last", () => {
    expect(
      Object.keys(loadConfig({ MODERATION_ENGINES: "guard,keywords", GUARD_MODEL: "llama-guard3:8b" }).engines),
    ).toEqual(["keywords", "guard"]);
    expect(Object.keys(loadConfig({ GUARD_FORMAT: "nonsense" }).engines)).toEqual(["keywords", "obscenity"]);
    expect(problems({ MODERATION_ENGINES: "guard", GUARD_FORMAT: "nonsense" })).toEqual([
      "GUARD_FORMAT: expected one of llama-guard, qwen3guard, shieldgemma",
    ]);
  });

  it("reports every bad variable of the engines in use at once", () => {
    const bad = {
      MODERATION_OUTPUT_ACTION: "erase",
      MODERATION_INPUT_ON_ERROR: "maybe",
      OPENAI_TIMEOUT_MS: "forever",
      KEYWORDS_SEPARATORS: "perhaps",
      API_KEYS: "abc",
    };
    refusedTogether(loadConfig, bad, { valid: { MODERATION_ENGINES: "keywords,openai" } });
  });

  it("checks the openai variables when MODERATION_ENGINES names openai next to an unknown engine", () => {
    refusedTogether(loadConfig, { MODERATION_ENGINES: "openai,perspective", OPENAI_THRESHOLDS: "violence=2" });
  });

  it("ignores the variables of engines not in use", () => {
    refusedTogether(
      loadConfig,
      { MODERATION_ENGINES: "keywords,perspective" },
      { valid: { OPENAI_THRESHOLDS: "violence=2" } },
    );
    const config = loadConfig({
      OPENAI_THRESHOLDS: "violence=2",
      OPENAI_TIMEOUT_MS: "soon",
      MODERATION_ENGINES: "obscenity",
    });
    expect(config.engines).toEqual({ obscenity: { extraTerms: [], allowTerms: [] } });
  });

  it("requires OPENAI_API_KEY in production only when the openai engine is used, together with API_KEYS", () => {
    expect(problems({ NODE_ENV: "production", MODERATION_ENGINES: "openai" }).sort()).toEqual([
      "API_KEYS: required with NODE_ENV=production (comma-separated, at least 5 characters each)",
      "OPENAI_API_KEY: required by the openai engine with NODE_ENV=production",
    ]);
    expect(Object.keys(loadConfig({ NODE_ENV: "production", API_KEYS: "prod-key-123" }).engines)).toEqual([
      "keywords",
      "obscenity",
    ]);
  });

  it("never echoes a secret in an error", () => {
    refusedTogether(
      loadConfig,
      { API_KEYS: "abc,secret-key-123456", OPENAI_BASE_URL: "not a url" },
      { valid: { MODERATION_ENGINES: "openai", OPENAI_API_KEY: "sk-secret-999" }, hidden: ["secret"] },
    );
  });
});
