import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

describe("the obscenity app's config", () => {
  it("runs only the obscenity engine, on port 3002, with the terms given", () => {
    const config = loadConfig({ OBSCENITY_EXTRA_TERMS: "scam*, fraud", OBSCENITY_ALLOW_TERMS: "penistone" });
    expect(config.engines).toEqual({ obscenity: { extraTerms: ["scam*", "fraud"], allowTerms: ["penistone"] } });
    expect(config.port).toBe(3002);
  });

  it("knows only the obscenity, policy and shared variables", () => {
    const config = loadConfig({
      MODERATION_ENGINES: "keywords",
      KEYWORDS_MATCH: "fuzzy",
      OPENAI_THRESHOLDS: "violence=2",
    });
    expect(Object.keys(config.engines)).toEqual(["obscenity"]);
  });
});
