import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { difyReplyProblems } from "@dify-ext/protocol";
import { PLAYGROUND_PATHS } from "@dify-ext/playground/paths";
import { type Logger, silentLogger } from "@dify-ext/receive";
import { createServiceMetrics } from "@dify-ext/runtime/node";
import { difyCall } from "@dify-ext/test-support/app-process";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createModerationApp, type ModerationApp } from "./app.ts";
import { type ModerationConfig, readCommonSettings, readEngineList, readPolicySettings } from "./config/index.ts";
import { keywords } from "./engines/keywords.ts";
import { obscenity } from "./engines/obscenity.ts";
import { openai } from "./engines/openai.ts";
import { serviceState } from "./state.ts";

const KEY = "in-process-key-123";
const OPENAI_KEY = "sk-in-process-5e1b";

/** A logger that keeps its lines, to check what the service says (and never says). */
function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (fields: object, message?: string) => {
    lines.push(JSON.stringify({ level, ...fields, msg: message }));
  };
  const logger: Logger = {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    fatal: log("fatal"),
    child: () => logger,
  };
  return logger;
}

/** A config as an app's `src/config.ts` builds it, for the engines MODERATION_ENGINES names. */
function configFrom(overrides: Record<string, string>): ModerationConfig {
  const env = { API_KEYS: KEY, KEYWORDS_WATCH: "false", ...overrides };
  const named: string[] = readEngineList(env, ["keywords"]);
  return {
    common: readCommonSettings(env),
    port: 0,
    policy: readPolicySettings(env),
    engines: {
      ...(named.includes("keywords") && { keywords: keywords.read(env) }),
      ...(named.includes("obscenity") && { obscenity: obscenity.read(env) }),
      ...(named.includes("openai") && { openai: openai.read(env) }),
    },
  };
}

/** Builds the app the way `runModerationService` does, in-process, on a free loopback port. */
async function serve(env: Record<string, string>, logger: Logger = silentLogger) {
  const config = configFrom(env);
  const built = await createModerationApp({ config, logger });
  const server = createServer(built.app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { config, built, server, url, receiveUrl: `${url}/api/dify/receive` };
}

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
  const running: Array<{ server: Server; built: ModerationApp }> = [];
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  });
  afterEach(async () => {
    for (const { server, built } of running.splice(0)) {
      built.moderation.close();
      await new Promise((resolve) => server.close(resolve));
    }
    fake.reset();
  });
  afterAll(() => fake.close());

  it("builds the engines cheapest first and is ready when every engine can judge", async () => {
    const app = await serve({
      MODERATION_ENGINES: "openai,obscenity,keywords",
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: fake.url,
    });
    running.push(app);
    expect(app.built.moderation.engines.map((engine) => engine.name)).toEqual(["keywords", "obscenity", "openai"]);
    expect(app.built.moderation.readiness()).toBe(true);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    expect(await moderate(app.receiveUrl, "I am VIOLENT")).toMatchObject({ flagged: true, action: "direct_output" });
    expect(fake.calls).toHaveLength(1);
  });

  it("without OPENAI_API_KEY: not ready, a loud warning per call, and the failure policy answers", async () => {
    const lines: string[] = [];
    const app = await serve(
      { MODERATION_ENGINES: "openai", MODERATION_INPUT_ON_ERROR: "closed" },
      recordingLogger(lines),
    );
    running.push(app);
    const reason =
      "not moderating: the openai engine cannot judge (OPENAI_API_KEY is not set); MODERATION_INPUT_ON_ERROR=closed blocks every input call, MODERATION_OUTPUT_ON_ERROR=open lets every output call through unmoderated";
    expect(app.built.moderation.readiness()).toBe(reason);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "not ready", reason });
    expect(
      lines.filter((line) => line.includes('"level":"warn"') && line.includes("OPENAI_API_KEY is not set")),
    ).toHaveLength(1);

    expect(await moderate(app.receiveUrl, "hello")).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: app.config.policy.input.presetResponse,
    });
    expect(lines.filter((line) => line.includes("OPENAI_API_KEY is not set"))).toHaveLength(3);
    expect(lines.join("\n")).not.toContain("hello");
    expect(fake.calls).toHaveLength(0);
  });

  it("says so everywhere when it does not moderate: /readyz, the metrics, the playground, the state", async () => {
    const metrics = createServiceMetrics({ service: "moderation-test" });
    const config = configFrom({ MODERATION_ENGINES: "keywords,openai" });
    const built = await createModerationApp({ config, logger: silentLogger, metrics });
    const server = createServer(built.app.callback());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    running.push({ server, built });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
    const config = configFrom({
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
    const lines: string[] = [];
    const app = await serve(
      { MODERATION_ENGINES: "openai", OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: fake.url },
      recordingLogger(lines),
    );
    running.push(app);
    fake.script({ type: "error", status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}` });
    expect(await moderate(app.receiveUrl, "a text")).toEqual({ flagged: false, action: "direct_output" });
    expect(lines.some((line) => line.includes("answered 401"))).toBe(true);
    expect(lines.join("\n")).not.toContain(OPENAI_KEY);
  });
});
