import { ConfigError } from "@dify-ext/moderation-service/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("the injection app's config", () => {
  it("runs only the injection engine, on port 3007, with the shipped rules and no model by default", () => {
    const config = loadConfig({});
    expect(Object.keys(config.engines)).toEqual(["injection"]);
    expect(config.port).toBe(3007);
    expect(config.engines.injection).toMatchObject({ canaries: [], rules: { threshold: 1, windowTokens: 400 } });
    expect(config.engines.injection?.classifier).toBeUndefined();
  });

  it("reads the classifier, inferring the API from the URL", () => {
    const config = loadConfig({
      INJECTION_CLASSIFIER_URL: "http://tei:8080/predict",
      INJECTION_CANARY: "CANARY-12345678",
    });
    expect(config.engines.injection?.classifier).toMatchObject({ url: "http://tei:8080/predict", format: "tei" });
    expect(config.engines.injection?.canaries).toEqual(["CANARY-12345678"]);
  });

  it("names every bad variable at once, and never echoes the classifier's key", () => {
    const problems = problemsOf({
      INJECTION_THRESHOLD: "0",
      INJECTION_CLASSIFIER_URL: "http://vllm:8000/classify",
      INJECTION_CLASSIFIER_API_KEY: "sk-classifier-secret-1",
      INJECTION_MAX_BLOBS: "-1",
    });
    expect(problems.map((line) => line.split(":")[0]).sort()).toEqual(["INJECTION_MAX_BLOBS", "INJECTION_THRESHOLD"]);
    expect(problemsOf({ INJECTION_CLASSIFIER_URL: "http://vllm:8000/classify" })).toEqual([
      "INJECTION_CLASSIFIER_MODEL: required with vLLM (the model name the server serves)",
    ]);
    expect(problemsOf({ INJECTION_CLASSIFIER_URL: "http://model:8000/" })[0]).toMatch(
      /^INJECTION_CLASSIFIER_FORMAT: required/,
    );
    expect(problems.join("\n")).not.toContain("sk-classifier-secret-1");
  });
});
