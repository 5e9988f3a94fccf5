import { type Logger, silentLogger } from "@dify-ext/receive";
import { difyClient } from "@dify-ext/test-support/dify";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { type RecordedLine, recordingLogger } from "@dify-ext/test-support/logger";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { configFrom, type InProcessApp, inProcessApps, jsonLines } from "../test/in-process.ts";

const KEY = "in-process-key-123";
const OPENAI_KEY = "sk-in-process-5e1b";

const { call } = difyClient(KEY);
const moderate = (app: InProcessApp, query: string) =>
  call(app, "app.moderation.input", { app_id: "a", inputs: {}, query });

describe("createModerationApp, in-process", () => {
  let fake: FakeOpenAI;
  const serveApp = inProcessApps();
  const serve = (env: Record<string, string>, logger: Logger = silentLogger) => serveApp(configFrom(KEY, env), logger);
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it("builds the engines cheapest first and is ready when every engine can judge", async () => {
    const app = await serve({
      MODERATION_ENGINES: "openai,obscenity,keywords",
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: fake.url,
    });
    expect(app.built.moderation.engines.map((engine) => engine.name)).toEqual(["keywords", "obscenity", "openai"]);
    expect(app.built.moderation.readiness()).toBe(true);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    expect(await moderate(app, "I am VIOLENT")).toMatchObject({ flagged: true, action: "direct_output" });
    expect(fake.calls).toHaveLength(1);
  });

  it("without OPENAI_API_KEY: not ready, a loud warning per call, and the failure policy answers", async () => {
    const lines: RecordedLine[] = [];
    const app = await serve(
      { MODERATION_ENGINES: "openai", MODERATION_INPUT_ON_ERROR: "closed" },
      recordingLogger(lines),
    );
    expect(app.built.moderation.readiness()).toBe("OPENAI_API_KEY is not set");
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "not ready", reason: "OPENAI_API_KEY is not set" });
    expect(
      jsonLines(lines).filter((line) => line.includes('"level":"warn"') && line.includes("OPENAI_API_KEY is not set")),
    ).toHaveLength(1);

    expect(await moderate(app, "hello")).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: app.config.policy.input.presetResponse,
    });
    expect(jsonLines(lines).filter((line) => line.includes("OPENAI_API_KEY is not set"))).toHaveLength(3);
    expect(jsonLines(lines).join("\n")).not.toContain("hello");
    expect(fake.calls).toHaveLength(0);
  });

  it("never logs the OpenAI key", async () => {
    const lines: RecordedLine[] = [];
    const app = await serve(
      { MODERATION_ENGINES: "openai", OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: fake.url },
      recordingLogger(lines),
    );
    fake.script({ type: "error", status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}` });
    expect(await moderate(app, "a text")).toEqual({ flagged: false, action: "direct_output" });
    expect(jsonLines(lines).some((line) => line.includes("answered 401"))).toBe(true);
    expect(jsonLines(lines).join("\n")).not.toContain(OPENAI_KEY);
  });
});
