import { describe, expect, it } from "vitest";
import {
  checkInjectionOption,
  classifierWorstCaseMs,
  INJECTION_CLASSIFIER_SETTINGS,
  INJECTION_SETTINGS,
  inferClassifierFormat,
  knownClassifier,
  parseCanaries,
  splitList,
} from "./settings.ts";

describe("injection settings", () => {
  it("keeps every default within its bounds, and checks values against them", () => {
    for (const [name, setting] of Object.entries({ ...INJECTION_SETTINGS, ...INJECTION_CLASSIFIER_SETTINGS })) {
      expect(checkInjectionOption("t", setting.default, name, setting)).toBe(setting.default);
    }
    expect(() => checkInjectionOption("Injection engine", 0.05, "threshold", INJECTION_SETTINGS.threshold)).toThrow(
      "Injection engine option threshold must be a number from 0.1 to 100, got 0.05",
    );
    expect(() => checkInjectionOption("X", 1.5, "maxBlobs", INJECTION_SETTINGS.maxBlobs)).toThrow(/must be an integer/);
    expect(classifierWorstCaseMs()).toBe(5000);
  });

  it("infers the API from the endpoint, knows the documented models, and reads list variables", () => {
    expect(inferClassifierFormat("http://tei:8080/predict")).toBe("tei");
    expect(inferClassifierFormat("http://vllm:8000/classify/")).toBe("vllm");
    expect(inferClassifierFormat("http://x/")).toBeUndefined();
    expect(inferClassifierFormat("not a url")).toBeUndefined();
    expect(knownClassifier("meta-llama/Llama-Prompt-Guard-2-22M")?.attackLabels).toEqual(["LABEL_1", "MALICIOUS"]);
    expect(knownClassifier("protectai/deberta-v3-base-prompt-injection-v2")?.attackLabels).toEqual(["INJECTION"]);
    expect(knownClassifier("my-model")).toBeUndefined();
    expect(splitList(" INJECTION, ,JAILBREAK ")).toEqual(["INJECTION", "JAILBREAK"]);
    expect(parseCanaries("DIFY-CANARY-1, DIFY-CANARY-2")).toEqual(["DIFY-CANARY-1", "DIFY-CANARY-2"]);
    expect(() => parseCanaries(Array.from({ length: 33 }, (_, i) => `canary-${i}-xxxx`).join(","))).toThrow(
      /at most 32/,
    );
    expect(() => parseCanaries("x".repeat(201))).toThrow(/at most 200 characters/);
  });
});
