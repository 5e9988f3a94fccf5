import { problemsOf, refusedTogether } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const problems = (env: Record<string, string>) => problemsOf(() => loadConfig(env));

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
    refusedTogether(
      loadConfig,
      { INJECTION_THRESHOLD: "0", INJECTION_MAX_BLOBS: "-1" },
      {
        valid: {
          INJECTION_CLASSIFIER_URL: "http://vllm:8000/classify",
          INJECTION_CLASSIFIER_API_KEY: "sk-classifier-secret-1",
        },
        hidden: ["sk-classifier-secret-1"],
      },
    );
    expect(problems({ INJECTION_CLASSIFIER_URL: "http://vllm:8000/classify" })).toEqual([
      "INJECTION_CLASSIFIER_MODEL: required with vLLM (the model name the server serves)",
    ]);
    expect(problems({ INJECTION_CLASSIFIER_URL: "http://model:8000/" })[0]).toMatch(
      /^INJECTION_CLASSIFIER_FORMAT: required/,
    );
  });
});
