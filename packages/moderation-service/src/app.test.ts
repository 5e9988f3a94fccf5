import { difyReplyProblems } from "@dify-ext/protocol";
import { PLAYGROUND_PATHS } from "@dify-ext/playground/paths";
import { silentLogger } from "@dify-ext/receive";
import { createServiceMetrics } from "@dify-ext/runtime/node";
import { difyCall } from "@dify-ext/test-support/app-process";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { type RecordedLine, recordingLogger } from "@dify-ext/test-support/logger";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { configFrom, inProcessApps, jsonLines } from "../test/in-process.ts";
import { createModerationApp } from "./app.ts";
import { serviceState } from "./state.ts";

const KEY = "in-process-key-123";
const OPENAI_KEY = "sk-in-process-5e1b";

async function moderate(receiveUrl: string, query: string) {
  const params = { app_id: "a", inputs: {}, query };
  const response = await difyCall(receiveUrl, KEY, "app.moderation.input", params);
  expect(response.status).toBe(200);
  const body = await response.json();
  expect(difyReplyProblems("app.moderation.input", body, params)).toEqual([]);
  return body as Record<string, unknown>;
}

describe("createModerationApp, in-process", () => {
  let fake: FakeOpenAI;
  const serveApp = inProcessApps();
  /** The app built from `env` as an app's config reads it, served in-process on a free loopback port. */
  const serve = (env: Record<string, string>, logger = silentLogger) => serveApp(configFrom(KEY, env), logger);
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
    expect(await moderate(app.receiveUrl, "I am VIOLENT")).toMatchObject({ flagged: true, action: "direct_output" });
    expect(fake.calls).toHaveLength(1);
  });

  it("without OPENAI_API_KEY: not ready, a loud warning per call, and the failure policy answers", async () => {
    const lines: RecordedLine[] = [];
    const app = await serve(
      { MODERATION_ENGINES: "openai", MODERATION_INPUT_ON_ERROR: "closed" },
      recordingLogger(lines),
    );
    const reason =
      "not moderating: the openai engine cannot judge (OPENAI_API_KEY is not set); MODERATION_INPUT_ON_ERROR=closed blocks every input call, MODERATION_OUTPUT_ON_ERROR=open lets every output call through unmoderated";
    expect(app.built.moderation.readiness()).toBe(reason);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "not ready", reason });
    expect(
      jsonLines(lines).filter((line) => line.includes('"level":"warn"') && line.includes("OPENAI_API_KEY is not set")),
    ).toHaveLength(1);

    expect(await moderate(app.receiveUrl, "hello")).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: app.config.policy.input.presetResponse,
    });
    expect(jsonLines(lines).filter((line) => line.includes("OPENAI_API_KEY is not set"))).toHaveLength(3);
    expect(jsonLines(lines).join("\n")).not.toContain("hello");
    expect(fake.calls).toHaveLength(0);
  });

  it("says so everywhere when it does not moderate: /readyz, the metrics, the playground, the state", async () => {
    const metrics = createServiceMetrics({ service: "moderation-test" });
    const { built, url } = await serveApp(
      configFrom(KEY, { MODERATION_ENGINES: "keywords,openai" }),
      silentLogger,
      metrics,
    );
    const reason =
      "partly moderating: the openai engine cannot judge (OPENAI_API_KEY is not set); keywords still judges; MODERATION_INPUT_ON_ERROR=open lets input calls through without its verdict, MODERATION_OUTPUT_ON_ERROR=open lets output calls through without its verdict";

    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: "not ready", reason });
    const exposition = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    expect(exposition).toMatch(/^dify_ext_moderating\{service="moderation-test"\} 0$/m);
    expect(exposition).toMatch(/^dify_ext_engine_ready\{engine="openai",service="moderation-test"\} 0$/m);
    expect(exposition).toMatch(/^dify_ext_engine_ready\{engine="keywords",service="moderation-test"\} 1$/m);

    const explained = await fetch(`${url}${PLAYGROUND_PATHS.explain}`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ point: "app.moderation.input", params: { inputs: {}, query: "hello" } }),
    });
    expect(((await explained.json()) as { notModerating?: unknown }).notModerating).toEqual({
      moderating: "partly",
      reason,
    });

    expect(serviceState(built.moderation.state())).toEqual({
      ok: false,
      summary: `PARTLY MODERATING: ${reason.slice("partly moderating: ".length)}`,
      fields: { engines: ["keywords", "openai"], moderating: "partly", reason },
    });
  });

  it("is moderating, with every engine ready, in the metrics and the state", async () => {
    const metrics = createServiceMetrics({ service: "moderation-test" });
    const config = configFrom(KEY, {
      MODERATION_ENGINES: "keywords,openai",
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: fake.url,
    });
    const built = await createModerationApp({ config, logger: silentLogger, metrics });
    built.close();
    const { body } = await metrics.render();
    expect(body).toMatch(/^dify_ext_moderating\{service="moderation-test"\} 1$/m);
    expect(serviceState(built.moderation.state())).toMatchObject({
      ok: true,
      summary: "moderating with keywords, openai",
    });
  });

  it("never logs the OpenAI key", async () => {
    const lines: RecordedLine[] = [];
    const app = await serve(
      { MODERATION_ENGINES: "openai", OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: fake.url },
      recordingLogger(lines),
    );
    fake.script({ type: "error", status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}` });
    expect(await moderate(app.receiveUrl, "a text")).toEqual({ flagged: false, action: "direct_output" });
    expect(jsonLines(lines).some((line) => line.includes("answered 401"))).toBe(true);
    expect(jsonLines(lines).join("\n")).not.toContain(OPENAI_KEY);
  });
});
