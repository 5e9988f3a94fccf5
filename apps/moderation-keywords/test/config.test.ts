import { refusedTogether } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

describe("the keyword app's config", () => {
  it("runs only the keyword engine, on port 3001, with the sample list by default", () => {
    const config = loadConfig({});
    expect(config.engines).toEqual({ keywords: { listFiles: [], allowFiles: [], usingSampleList: true } });
    expect(config.port).toBe(3001);
  });

  it("knows only the keyword, policy and shared variables: other engines' variables are not its business", () => {
    const config = loadConfig({ MODERATION_ENGINES: "openai", OPENAI_TIMEOUT_MS: "soon", OBSCENITY_EXTRA_TERMS: "*" });
    expect(Object.keys(config.engines)).toEqual(["keywords"]);
  });

  it("names every bad variable it knows at once", () => {
    refusedTogether(loadConfig, {
      PORT: "http",
      MODERATION_INPUT_ACTION: "delete",
      KEYWORDS_MATCH: "fuzzy",
      API_KEYS: "abc",
    });
  });
});
