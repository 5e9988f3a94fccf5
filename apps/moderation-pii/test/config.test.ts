import { problemsOf } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const problems = (env: Record<string, string>) => problemsOf(() => loadConfig(env));

describe("the pii app's config", () => {
  it("runs only the pii engine, on port 3005, masking at both points, with the engine's defaults", () => {
    const config = loadConfig({});
    expect(config.engines).toEqual({ pii: {} });
    expect(config.port).toBe(3005);
    expect(config.policy.input.action).toBe("mask");
    expect(config.policy.output.action).toBe("mask");
  });

  it("reads the types (any case), the mask style and the region", () => {
    const config = loadConfig({
      PII_TYPES: " Email , phone,US-SSN ",
      PII_MASK_STYLE: "stars",
      PII_PHONE_REGION: "gb",
      MODERATION_OUTPUT_ACTION: "block",
    });
    expect(config.engines).toEqual({
      pii: { types: ["email", "phone", "us-ssn"], maskStyle: "stars", phoneRegion: "GB" },
    });
    expect(config.policy.input.action).toBe("mask");
    expect(config.policy.output.action).toBe("block");
  });

  it("names every bad variable at once", () => {
    expect(
      problems({
        PII_TYPES: "email,passport,ssn",
        PII_MASK_STYLE: "hash",
        PII_PHONE_REGION: "USA",
        MODERATION_INPUT_ACTION: "erase",
      }).sort(),
    ).toEqual([
      "MODERATION_INPUT_ACTION: expected block or mask",
      "PII_MASK_STYLE: expected label or stars",
      "PII_PHONE_REGION: expected a two-letter region code (ISO 3166-1 alpha-2) such as US, GB, DE or CN",
      expect.stringMatching(/^PII_TYPES: unknown type #2 "passport"; expected any of private-key, jwt, /),
      expect.stringMatching(/^PII_TYPES: unknown type #3 "ssn"/),
    ]);
    expect(problems({ PII_TYPES: " , " })).toEqual([expect.stringMatching(/^PII_TYPES: expected any of /)]);
  });

  it("knows only the pii, policy and shared variables", () => {
    const config = loadConfig({ MODERATION_ENGINES: "keywords", KEYWORDS_MATCH: "fuzzy", OBSCENITY_EXTRA_TERMS: "x" });
    expect(Object.keys(config.engines)).toEqual(["pii"]);
  });
});
