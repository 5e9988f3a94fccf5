import { cleanVerdict } from "@dify-ext/moderation-engines";
import { ConfigError, type Env } from "@dify-ext/runtime";
import { silentLogger } from "@dify-ext/receive";
import { describe, expect, it } from "vitest";
import { composeModeration } from "./compose.ts";
import { type ModerationConfig, readCommonSettings, readPolicySettings } from "./config/index.ts";
import type { AnyEngineModule, EngineFiles } from "./engine-module.ts";
import { ENGINES } from "./engines/index.ts";
import { keywords } from "./engines/keywords.ts";
import { openai } from "./engines/openai.ts";
import { type ObscenitySettings, obscenity } from "./engines/obscenity.ts";

const env: Env = { API_KEYS: "compose-key-123" };
const base = { common: readCommonSettings(env), policy: readPolicySettings(env) };
const logger = silentLogger;
/** No files: these engines read none. */
const files: EngineFiles = {
  read: async (file) => {
    throw new Error(`${file}: no files here`);
  },
  watch: () => ({ reload: async () => false, close() {} }),
};

/** A module like `module` whose factory is `create`. */
const withFactory = (module: AnyEngineModule, create: AnyEngineModule["create"]): AnyEngineModule => ({
  ...module,
  create,
});

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
      [withFactory(openai, () => engine("openai")), withFactory(keywords, () => engine("keywords"))],
      { logger, files },
    );
    expect(built).toEqual(["keywords", "openai"]);
    expect(moderation.engines.map((e) => e.name)).toEqual(["keywords", "openai"]);
    expect(moderation.readiness()).toBe(true);
  });

  it("names MODERATION_ENGINES when the config asks for an engine this entry does not build (a Worker without it)", async () => {
    const config = { ...base, engines: { obscenity: obscenity.read({}) } };
    expect(await configErrorOf(composeModeration(config, [keywords], { logger, files }))).toEqual([
      'MODERATION_ENGINES: engine "obscenity" is not built into this app; it has keywords',
    ]);
  });

  it("collects readiness reasons and closes what the engines registered", async () => {
    let closed = 0;
    const moderation = await composeModeration(
      { ...base, engines: { obscenity: obscenity.read({}) } },
      [
        withFactory(obscenity, (_settings, context) => {
          context.notReady("lists are still loading");
          context.onClose(() => closed++);
          return { name: "obscenity", moderate: async (texts: readonly string[]) => texts.map(() => cleanVerdict()) };
        }),
      ],
      { logger, files },
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

describe("the obscenity module", () => {
  it("names the variable of an unusable term from the engine's typed error, not from its message", async () => {
    const context = { logger, files, notReady() {}, onClose() {} };
    await expect(obscenity.create({ extraTerms: ["scam", "**"], allowTerms: [] }, context)).rejects.toThrow(
      ConfigError,
    );
    const problems = async (settings: ObscenitySettings) => {
      try {
        await obscenity.create(settings, context);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(await problems({ extraTerms: ["scam", "**"], allowTerms: [] })).toEqual([
      'OBSCENITY_EXTRA_TERMS: obscenity extra term #2 ("**") is empty',
    ]);
    expect(await problems({ extraTerms: [], allowTerms: ["fine", " "] })).toEqual([
      "OBSCENITY_ALLOW_TERMS: obscenity allowed term #2 is empty",
    ]);
    // Through the Node composition, as an app's start-up sees it.
    const config = { ...base, engines: { obscenity: obscenity.read({ OBSCENITY_EXTRA_TERMS: "scam,*" }) } };
    expect(await configErrorOf(composeModeration(config, ENGINES, { logger, files }))).toEqual([
      'OBSCENITY_EXTRA_TERMS: obscenity extra term #2 ("*") is empty',
    ]);
  });
});

/** OpenAI settings without a key, as the module reads them, with the cache off (the factory in these tests never uses them). */
function readOpenAILess() {
  return { ...openai.read({}), cache: { max: 0, ttlMs: 1 } };
}
