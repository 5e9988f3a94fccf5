import { ConfigError } from "@dify-ext/server";
import { describe, expect, it } from "vitest";
import { loadModerationConfig } from "./config.ts";

const load = (env: Record<string, string>, engines?: Parameters<typeof loadModerationConfig>[1]["engines"]) =>
  loadModerationConfig(env, { defaultPort: 3000, engines });

async function problems(env: Record<string, string>, engines?: Parameters<typeof loadModerationConfig>[1]["engines"]) {
  const error = await load(env, engines).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
}

describe("loadModerationConfig", () => {
  it("runs with no configuration: development key, keywords and obscenity, the sample list", async () => {
    const config = await load({});
    expect(config.engines).toEqual(["keywords", "obscenity"]);
    expect(config.common.usingDevelopmentKey).toBe(true);
    expect(config.keywords.usingSampleList).toBe(true);
    expect(config.keywords.listFiles).toEqual([]);
    expect(config.policy.input).toEqual({ action: "block", presetResponse: expect.any(String), onEngineError: "open" });
    expect(config.port).toBe(3000);
  });

  it("picks engines from MODERATION_ENGINES in any order and runs the cheap local ones first", async () => {
    expect((await load({ MODERATION_ENGINES: "openai, keywords" })).engines).toEqual(["keywords", "openai"]);
    expect((await load({ MODERATION_ENGINES: "OBSCENITY" })).engines).toEqual(["obscenity"]);
  });

  it("lets a single-engine app fix its engine whatever MODERATION_ENGINES says", async () => {
    expect((await load({ MODERATION_ENGINES: "openai" }, ["keywords"])).engines).toEqual(["keywords"]);
  });

  it("names an unknown or repeated engine", async () => {
    expect(await problems({ MODERATION_ENGINES: "keywords,perspective" })).toEqual([
      'MODERATION_ENGINES: unknown engine "perspective"; expected any of keywords, obscenity, openai',
    ]);
    expect((await problems({ MODERATION_ENGINES: "keywords,keywords" }))[0]).toMatch(/listed twice/);
    expect((await problems({ MODERATION_ENGINES: " , " }))[0]).toMatch(/at least one/);
  });

  it("reports every bad variable at once", async () => {
    const found = await problems({
      MODERATION_OUTPUT_ACTION: "erase",
      MODERATION_INPUT_ON_ERROR: "maybe",
      OPENAI_TIMEOUT_MS: "forever",
      KEYWORDS_SEPARATORS: "perhaps",
      API_KEYS: "abc",
    });
    expect(found.map((line) => line.split(":")[0]).sort()).toEqual([
      "API_KEYS",
      "KEYWORDS_SEPARATORS",
      "MODERATION_INPUT_ON_ERROR",
      "MODERATION_OUTPUT_ACTION",
      "OPENAI_TIMEOUT_MS",
    ]);
  });

  it("parses OpenAI thresholds and names bad ones", async () => {
    const config = await load({ MODERATION_ENGINES: "openai", OPENAI_API_KEY: "sk-test-123456", OPENAI_THRESHOLDS: "violence=0.7,sexual=0.9" });
    expect(config.openai.thresholds).toEqual({ violence: 0.7, sexual: 0.9 });
    expect((await problems({ MODERATION_ENGINES: "openai", OPENAI_THRESHOLDS: "violence=2" }))[0]).toMatch(/^OPENAI_THRESHOLDS: /);
  });

  it("requires OPENAI_API_KEY in production only, and only when the openai engine is used", async () => {
    expect(await problems({ NODE_ENV: "production", API_KEYS: "prod-key-123", MODERATION_ENGINES: "openai" })).toEqual([
      "OPENAI_API_KEY: required by the openai engine with NODE_ENV=production",
    ]);
    expect((await load({ NODE_ENV: "production", API_KEYS: "prod-key-123", MODERATION_ENGINES: "keywords" })).engines).toEqual(["keywords"]);
    expect((await load({ MODERATION_ENGINES: "openai" })).openai.apiKey).toBeUndefined();
  });

  it("never echoes a secret in an error", async () => {
    const found = await problems({ API_KEYS: "abc,secret-key-123456", OPENAI_API_KEY: "sk-secret-999", OPENAI_BASE_URL: "not a url" });
    expect(found.join("\n")).not.toMatch(/secret/);
  });
});
