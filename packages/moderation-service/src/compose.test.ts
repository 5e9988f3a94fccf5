import { cleanVerdict } from "@dify-ext/moderation-engines";
import { ConfigError, type Env, silentLogger } from "@dify-ext/server";
import { describe, expect, it } from "vitest";
import { composeModeration } from "./compose.ts";
import {
  type ModerationConfig,
  readCommonSettings,
  readObscenitySettings,
  readPolicySettings,
} from "./config/index.ts";
import { obscenityFromSettings } from "./engines/obscenity.ts";
import { nodeEngines } from "./node-engines.ts";

const env: Env = { API_KEYS: "compose-key-123" };
const base = { common: readCommonSettings(env), policy: readPolicySettings(env) };
const logger = silentLogger;

async function configErrorOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return [...(error as ConfigError).problems];
}

describe("composeModeration", () => {
  it("builds the configured engines cheapest first, whatever order the factories come in", async () => {
    const built: string[] = [];
    const engine = (name: string) => {
      built.push(name);
      return { name, moderate: async (texts: readonly string[]) => texts.map(() => cleanVerdict()) };
    };
    const config: Pick<ModerationConfig, "common" | "policy" | "engines"> = {
      ...base,
      engines: { openai: readOpenAILess(), keywords: { listFiles: [], allowFiles: [], usingSampleList: true } },
    };
    const moderation = await composeModeration(
      config,
      {
        openai: () => engine("openai"),
        keywords: () => engine("keywords"),
      },
      { logger },
    );
    expect(built).toEqual(["keywords", "openai"]);
    expect(moderation.engines.map((e) => e.name)).toEqual(["keywords", "openai"]);
    expect(moderation.readiness()).toBe(true);
  });

  it("names MODERATION_ENGINES when the config asks for an engine this entry does not build (a Worker without it)", async () => {
    const config = { ...base, engines: { obscenity: readObscenitySettings({}) } };
    expect(await configErrorOf(composeModeration(config, { keywords: nodeEngines.keywords! }, { logger }))).toEqual([
      'MODERATION_ENGINES: engine "obscenity" is not built into this app; it has keywords',
    ]);
  });

  it("collects readiness reasons and closes what the engines registered", async () => {
    let closed = 0;
    const moderation = await composeModeration(
      { ...base, engines: { obscenity: readObscenitySettings({}) } },
      {
        obscenity: (_settings, context) => {
          context.notReady("lists are still loading");
          context.onClose(() => closed++);
          return { name: "obscenity", moderate: async (texts) => texts.map(() => cleanVerdict()) };
        },
      },
      { logger },
    );
    expect(moderation.readiness()).toBe(
      "not moderating: the obscenity engine cannot judge (lists are still loading); MODERATION_INPUT_ON_ERROR=open and MODERATION_OUTPUT_ON_ERROR=open let every call through unmoderated",
    );
    expect(moderation.state()).toMatchObject({
      moderating: "no",
      engines: [{ engine: "obscenity", ready: false, reason: "lists are still loading" }],
    });
    moderation.close();
    moderation.close();
    expect(closed).toBe(1);
  });
});

describe("obscenityFromSettings", () => {
  it("names the variable of an unusable term from the engine's typed error, not from its message", async () => {
    expect(() => obscenityFromSettings({ extraTerms: ["scam", "**"], allowTerms: [] })).toThrow(ConfigError);
    const problems = (settings: Parameters<typeof obscenityFromSettings>[0]) => {
      try {
        obscenityFromSettings(settings);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ extraTerms: ["scam", "**"], allowTerms: [] })).toEqual([
      'OBSCENITY_EXTRA_TERMS: obscenity extra term #2 ("**") is empty',
    ]);
    expect(problems({ extraTerms: [], allowTerms: ["fine", " "] })).toEqual([
      "OBSCENITY_ALLOW_TERMS: obscenity allowed term #2 is empty",
    ]);
    // Through the Node composition, as an app's start-up sees it.
    const config = { ...base, engines: { obscenity: readObscenitySettings({ OBSCENITY_EXTRA_TERMS: "scam,*" }) } };
    expect(await configErrorOf(composeModeration(config, nodeEngines, { logger }))).toEqual([
      'OBSCENITY_EXTRA_TERMS: obscenity extra term #2 ("*") is empty',
    ]);
  });
});

/** OpenAI settings without a key (the factory in these tests never uses them). */
function readOpenAILess() {
  return {
    apiKey: undefined,
    baseURL: undefined,
    model: "omni-moderation-latest",
    timeoutMs: 4000,
    maxRetries: 1,
    thresholds: {},
    cache: { max: 0, ttlMs: 1 },
  };
}
