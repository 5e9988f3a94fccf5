import { createOpenAIEngine, OMNI_MODERATION_CATEGORIES, OPENAI_SETTINGS } from "@dify-ext/moderation-engines/openai";
import { expectBoundsOf, problemsOf } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { WEBHOOK_SETTINGS } from "../webhooks/settings.ts";
import { enginesNamedIn, readEngineList, readPolicySettings, readSettings, readWebhookSettings } from "./index.ts";
import { keywords } from "../engines/keywords.ts";
import { openai, parseThresholds } from "../engines/openai.ts";

describe("readSettings", () => {
  it("returns every read's result, or one ConfigError with the problems of all of them", () => {
    expect(readSettings({ a: () => 1, b: () => "two" })).toEqual({ a: 1, b: "two" });
    const problems = problemsOf(() =>
      readSettings({
        policy: () => readPolicySettings({ MODERATION_INPUT_ACTION: "erase" }),
        fine: () => 3,
        openai: () => openai.read({ OPENAI_TIMEOUT_MS: "soon" }),
      }),
    );
    expect(problems.map((line) => line.split(":")[0])).toEqual(["MODERATION_INPUT_ACTION", "OPENAI_TIMEOUT_MS"]);
  });

  it("lets any other error through", () => {
    expect(() =>
      readSettings({
        broken: () => {
          throw new TypeError("a bug");
        },
      }),
    ).toThrow(TypeError);
  });
});

describe("readEngineList", () => {
  it("reads the engines in any order and case, cheapest first, with a fallback when unset", () => {
    expect(readEngineList({ MODERATION_ENGINES: "openai, keywords" }, [])).toEqual(["keywords", "openai"]);
    expect(readEngineList({ MODERATION_ENGINES: "OBSCENITY" }, [])).toEqual(["obscenity"]);
    expect(readEngineList({}, ["obscenity", "keywords"])).toEqual(["keywords", "obscenity"]);
    expect(readEngineList({ MODERATION_ENGINES: "  " }, ["keywords"])).toEqual(["keywords"]);
  });

  it("names an unknown, repeated or missing engine", () => {
    expect(problemsOf(() => readEngineList({ MODERATION_ENGINES: "keywords,perspective" }, []))).toEqual([
      'MODERATION_ENGINES: unknown engine "perspective"; expected any of keywords, obscenity, injection, pii, openai, guard',
    ]);
    expect(problemsOf(() => readEngineList({ MODERATION_ENGINES: "keywords,keywords" }, []))[0]).toMatch(
      /listed twice/,
    );
    expect(problemsOf(() => readEngineList({ MODERATION_ENGINES: " , " }, []))[0]).toMatch(/at least one/);
    // Names such as `constructor` are unknown engines, not members of some object.
    expect(problemsOf(() => readEngineList({ MODERATION_ENGINES: "constructor,__proto__" }, []))).toHaveLength(2);
  });

  it("knows, leniently, which engines' variables to read", () => {
    expect(enginesNamedIn({ MODERATION_ENGINES: "openai,perspective" }, ["keywords"])).toEqual(["openai"]);
    expect(enginesNamedIn({}, ["keywords"])).toEqual(["keywords"]);
  });
});

describe("readPolicySettings and readKeywordsSettings", () => {
  it("leave a setting the engine or policy defaults unset instead of repeating its default", () => {
    expect(readPolicySettings({})).not.toHaveProperty("maskCharacter");
    expect(readPolicySettings({ MODERATION_MASK_CHARACTER: "#" }).maskCharacter).toBe("#");
    expect(keywords.read({})).toEqual({ listFiles: [], allowFiles: [], usingSampleList: true });
    expect(
      keywords.read({ KEYWORDS_MATCH: "substring", KEYWORDS_SEPARATORS: "yes", KEYWORDS_WATCH: "0" }),
    ).toMatchObject({
      match: "substring",
      separators: true,
      watch: false,
    });
  });

  it("name bad values", () => {
    expect(
      problemsOf(() =>
        readPolicySettings({ MODERATION_MASK_CHARACTER: "**", MODERATION_OUTPUT_ON_ERROR: "maybe" }),
      ).sort(),
    ).toEqual([
      "MODERATION_MASK_CHARACTER: expected exactly one character",
      "MODERATION_OUTPUT_ON_ERROR: expected open or closed",
    ]);
    expect(problemsOf(() => keywords.read({ KEYWORDS_MATCH: "fuzzy", KEYWORDS_SEPARATORS: "perhaps" })).sort()).toEqual(
      ["KEYWORDS_MATCH: expected word or substring", "KEYWORDS_SEPARATORS: expected true or false"],
    );
  });
});

describe("readOpenAISettings", () => {
  it("takes every numeric default and bound from the engine's OPENAI_SETTINGS", () => {
    const defaults = openai.read({});
    expect(defaults).toEqual({
      apiKey: undefined,
      baseURL: undefined,
      model: "omni-moderation-latest",
      timeoutMs: OPENAI_SETTINGS.timeoutMs.default,
      maxRetries: OPENAI_SETTINGS.maxRetries.default,
      thresholds: {},
      cache: { max: OPENAI_SETTINGS.cacheMax.default, ttlMs: OPENAI_SETTINGS.cacheTtlMs.default },
    });
    expectBoundsOf(openai.read, {
      OPENAI_TIMEOUT_MS: OPENAI_SETTINGS.timeoutMs,
      OPENAI_MAX_RETRIES: OPENAI_SETTINGS.maxRetries,
      OPENAI_CACHE_MAX: OPENAI_SETTINGS.cacheMax,
      OPENAI_CACHE_TTL_MS: OPENAI_SETTINGS.cacheTtlMs,
    });
  });

  it("accepts exactly what the engine accepts: its longest timeout builds, one more is refused by both", () => {
    const { maxRetries, timeoutMs, cache } = openai.read({
      OPENAI_TIMEOUT_MS: String(OPENAI_SETTINGS.timeoutMs.max),
    });
    expect(() => createOpenAIEngine({ apiKey: "sk-test-0000", maxRetries, timeoutMs, cache })).not.toThrow();
    expect(() => createOpenAIEngine({ apiKey: "sk-test-0000", timeoutMs: OPENAI_SETTINGS.timeoutMs.max + 1 })).toThrow(
      /timeoutMs/,
    );
  });

  it("requires OPENAI_API_KEY in production only, together with the other problems", () => {
    expect(problemsOf(() => openai.read({ NODE_ENV: "production", OPENAI_THRESHOLDS: "violence=2" }))).toEqual([
      "OPENAI_API_KEY: required by the openai engine with NODE_ENV=production",
      'OPENAI_THRESHOLDS: threshold "violence=2": the score must be a number from 0 to 1',
    ]);
    expect(openai.read({ NODE_ENV: "production", OPENAI_API_KEY: "sk-prod-1234" }).apiKey).toBe("sk-prod-1234");
    expect(openai.read({}).apiKey).toBeUndefined();
  });

  it("reads thresholds, and refuses category names that are not the 13 known ones", () => {
    expect(openai.read({ OPENAI_THRESHOLDS: "violence=0.7,sexual=0.9" }).thresholds).toEqual({
      violence: 0.7,
      sexual: 0.9,
    });
    for (const name of ["constructor", "__proto__", "toString"]) {
      expect(problemsOf(() => openai.read({ OPENAI_THRESHOLDS: `${name}=0.5` }))[0]).toMatch(
        new RegExp(`^OPENAI_THRESHOLDS: threshold "${name}=0.5": unknown category "${name}"`),
      );
    }
  });

  it("never echoes a secret in an error", () => {
    const found = problemsOf(() => openai.read({ OPENAI_API_KEY: "sk-secret-999", OPENAI_BASE_URL: "not a url" }));
    expect(found).toEqual(["OPENAI_BASE_URL: expected a URL such as https://api.openai.com/v1"]);
  });
});

describe("parseThresholds", () => {
  it("parses env syntax", () => {
    expect(parseThresholds("violence=0.7,sexual=0.9")).toEqual({ violence: 0.7, sexual: 0.9 });
    expect(parseThresholds(" self-harm/intent = 0.2 , hate=1, harassment=0 ,")).toEqual({
      "self-harm/intent": 0.2,
      hate: 1,
      harassment: 0,
    });
    expect(parseThresholds("")).toEqual({});
  });

  it("names the bad part", () => {
    expect(() => parseThresholds("violence=0.7,sexual")).toThrow('threshold "sexual" must look like category=score');
    expect(() => parseThresholds("violence=1.2")).toThrow(
      'threshold "violence=1.2": the score must be a number from 0 to 1',
    );
    expect(() => parseThresholds("violence=-0.1")).toThrow(/from 0 to 1/);
    expect(() => parseThresholds("violence=high")).toThrow('threshold "violence=high"');
    expect(() => parseThresholds("violence=")).toThrow(/from 0 to 1/);
    expect(() => parseThresholds("violence=0.5,violence=0.6")).toThrow(/given twice/);
  });

  it("lists the 13 categories when one is unknown", () => {
    let message = "";
    try {
      parseThresholds("gore=0.5");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('unknown category "gore"');
    for (const category of OMNI_MODERATION_CATEGORIES) expect(message).toContain(category);
    expect(OMNI_MODERATION_CATEGORIES).toHaveLength(13);
  });
});

describe("reply templates in the environment", () => {
  it("name the variable of an unknown placeholder, and of {terms} without MODERATION_REPLY_SHOWS_TERMS", () => {
    expect(problemsOf(() => readPolicySettings({ MODERATION_INPUT_PRESET: "Blocked: {why}" }))).toEqual([
      expect.stringMatching(/^MODERATION_INPUT_PRESET: unknown placeholder \{why\}; known: \{category\}/),
    ]);
    expect(problemsOf(() => readPolicySettings({ MODERATION_OUTPUT_PRESET: "Avoid {terms}" }))).toEqual([
      expect.stringMatching(/^MODERATION_OUTPUT_PRESET: \{terms\} shows the matched list terms/),
    ]);
    const settings = readPolicySettings({
      MODERATION_OUTPUT_PRESET: "Avoid {terms} ({category}, ref {request_id})",
      MODERATION_REPLY_SHOWS_TERMS: "true",
    });
    expect(settings.replyShowsTerms).toBe(true);
    expect(readPolicySettings({})).not.toHaveProperty("replyShowsTerms");
  });
});

describe("readWebhookSettings", () => {
  const secret = "whsec-0123456789abcdef";

  it("reads nothing by default, and the receiver, its secrets (rotation) and the settings when set", () => {
    expect(readWebhookSettings({})).toMatchObject({
      secrets: new Map(),
      timeoutMs: WEBHOOK_SETTINGS.timeoutMs.default,
    });
    expect(readWebhookSettings({})).not.toHaveProperty("target");
    const settings = readWebhookSettings({
      MODERATION_WEBHOOK_URL: "https://audit.example/hooks/dify",
      MODERATION_WEBHOOK_SECRET: `${secret}, ${secret}-next`,
      MODERATION_WEBHOOK_SECRET_TEAM_A: `${secret}-a`,
      MODERATION_WEBHOOK_BATCH_MAX: "20",
    });
    expect(settings.target).toEqual({
      url: "https://audit.example/hooks/dify",
      format: "json",
      where: "MODERATION_WEBHOOK_URL",
    });
    expect(settings.secrets).toEqual(
      new Map([
        ["", [secret, `${secret}-next`]],
        ["team_a", [`${secret}-a`]],
      ]),
    );
    expect(settings.batchMax).toBe(20);
    // Slack's incoming webhooks take no signature.
    expect(
      readWebhookSettings({
        MODERATION_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x",
        MODERATION_WEBHOOK_FORMAT: "slack",
      }).target?.format,
    ).toBe("slack");
  });

  it("names every bad variable, never echoing a value", () => {
    const found = problemsOf(() =>
      readWebhookSettings({
        MODERATION_WEBHOOK_URL: "ftp://hidden.example/token-abc",
        MODERATION_WEBHOOK_SECRET: "short-secret-1",
        MODERATION_WEBHOOK_FORMAT: "xml",
        MODERATION_WEBHOOK_TIMEOUT_MS: "99",
        MODERATION_WEBHOOK_QUEUE_MAX: "0",
        "MODERATION_WEBHOOK_SECRET_BAD-NAME": secret,
      }),
    );
    expect(found.sort()).toEqual([
      "MODERATION_WEBHOOK_FORMAT: expected json or slack",
      `MODERATION_WEBHOOK_QUEUE_MAX: expected a whole number from ${WEBHOOK_SETTINGS.queueMax.min} to ${WEBHOOK_SETTINGS.queueMax.max}`,
      "MODERATION_WEBHOOK_SECRET: secret #1 is shorter than 16 characters (try: openssl rand -hex 32)",
      "MODERATION_WEBHOOK_SECRET_BAD-NAME: a secret's name after MODERATION_WEBHOOK_SECRET_ is 1 to 40 of A-Z, 0-9 and _",
      `MODERATION_WEBHOOK_TIMEOUT_MS: expected a whole number from ${WEBHOOK_SETTINGS.timeoutMs.min} to ${WEBHOOK_SETTINGS.timeoutMs.max}`,
      "MODERATION_WEBHOOK_URL: expected an http:// or https:// URL",
    ]);
    expect(found.join("\n")).not.toMatch(/token-abc|short-secret-1|whsec/);
    expect(problemsOf(() => readWebhookSettings({ MODERATION_WEBHOOK_URL: "https://audit.example" }))).toEqual([
      expect.stringMatching(/^MODERATION_WEBHOOK_SECRET: required with MODERATION_WEBHOOK_URL/),
    ]);
  });
});
