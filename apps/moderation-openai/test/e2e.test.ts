import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, INPUT_BLOCKED, input, KEY, OPENAI_KEY, openaiCases, PASS } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
openaiCases(nodeTransport(appDir));

// Node only: outside production the app starts without an OpenAI key (a Worker is production).
describe("moderation-openai without OPENAI_API_KEY (Node)", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_INPUT_ON_ERROR: "closed" } });
  });
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
  });

  it("starts outside production, says so loudly, and answers ping", async () => {
    expect(
      app.output.some((line) => line.includes('"level":"warn"') && line.includes("OPENAI_API_KEY is not set")),
    ).toBe(true);
    const response = await difyCall(app.receiveUrl, KEY, "ping", {});
    expect(await response.text()).toBe('{"result":"pong"}');
  });

  const REASON =
    "not moderating: the openai engine cannot judge (OPENAI_API_KEY is not set); MODERATION_INPUT_ON_ERROR=closed blocks every input call, MODERATION_OUTPUT_ON_ERROR=open lets every output call through unmoderated";

  it("reports not ready on /readyz, with the reason and what the failure policy does", async () => {
    const response = await fetch(`${app.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready", reason: REASON });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("ends its start-up with one line of state that says it is not moderating, and why", async () => {
    const line = await waitForLine(app, (record) => record.state !== undefined);
    expect(line).toMatchObject({
      level: "warn",
      name: "moderation-openai",
      state: "degraded",
      port: app.port,
      engines: ["openai"],
      moderating: "no",
      reason: REASON,
      msg: `moderation-openai on port ${app.port}: NOT MODERATING: ${REASON.slice("not moderating: ".length)}`,
    });
  });

  it("exposes dify_ext_moderating 0 and dify_ext_engine_ready 0 for openai", async () => {
    const metrics = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    expect(metrics).toMatch(/^dify_ext_moderating\{service="moderation-openai"\} 0$/m);
    expect(metrics).toMatch(/^dify_ext_engine_ready\{engine="openai",service="moderation-openai"\} 0$/m);
  });

  it("answers moderation calls by the failure policy of each point", async () => {
    expect(await input(app, "I am VIOLENT")).toEqual(INPUT_BLOCKED); // MODERATION_INPUT_ON_ERROR=closed
    const output = await call(app, "app.moderation.output", { app_id: "app", text: "I am VIOLENT" });
    expect(output.body).toEqual(PASS); // MODERATION_OUTPUT_ON_ERROR defaults to open
  });
});

/** The first JSON log line of the app that `match` accepts, waiting up to 10 s for it. */
async function waitForLine(app: AppProcess, match: (record: Record<string, unknown>) => boolean) {
  const until = Date.now() + 10_000;
  for (;;) {
    for (const line of app.output) {
      if (!line.startsWith("{")) continue;
      const record = JSON.parse(line) as Record<string, unknown>;
      if (match(record)) return record;
    }
    if (Date.now() > until) throw new Error(`no such log line in:\n${app.output.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts the app with `env` and collects its output until `done` holds (or 20 s pass), then stops it. */
async function outputOf(env: Record<string, string>, done: (output: string) => boolean): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: appDir,
    env: { PATH: process.env.PATH, API_KEYS: KEY, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((resolve) => child.once("close", resolve));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 20_000);
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        output += chunk;
        if (done(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
  child.kill("SIGTERM");
  await exited;
  return output;
}

describe("moderation-openai logs (Node)", () => {
  const stateLine = (output: string) => output.includes("NOT MODERATING");

  it("writes JSON lines when its output is not a terminal, and with LOG_FORMAT=json", async () => {
    for (const env of [{}, { LOG_FORMAT: "json" }] as Array<Record<string, string>>) {
      const output = await outputOf(env, stateLine);
      const lines = output.trim().split("\n");
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    }
  });

  it("writes readable lines with LOG_FORMAT=pretty: time, level, name, message", async () => {
    const output = await outputOf({ LOG_FORMAT: "pretty" }, stateLine);
    const line = output.split("\n").find(stateLine)!;
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] .*WARN.* \(moderation-openai\): .*moderation-openai on port \d+: NOT MODERATING: the openai engine cannot judge \(OPENAI_API_KEY is not set\)/,
    );
    expect(output).not.toMatch(/^\{"level"/m);
  });

  it("names a bad LOG_FORMAT", async () => {
    const output = await outputOf({ LOG_FORMAT: "colour" }, (text) => text.includes("LOG_FORMAT"));
    expect(output).toContain("LOG_FORMAT: expected auto, json or pretty");
  });
});

describe("moderation-openai start-up checks (Node)", () => {
  it("refuses to start in production without OPENAI_API_KEY, naming it", async () => {
    const error = await startAppProcess({ cwd: appDir, env: { NODE_ENV: "production", API_KEYS: KEY } }).catch(
      (e: Error) => e,
    );
    expect(String(error)).toMatch(/exited with code 1/);
    expect(String(error)).toContain("OPENAI_API_KEY: required by the openai engine with NODE_ENV=production");
  });

  it("names a bad threshold and a bad timeout", async () => {
    const error = await startAppProcess({
      cwd: appDir,
      env: { API_KEYS: KEY, OPENAI_API_KEY: OPENAI_KEY, OPENAI_THRESHOLDS: "violance=0.7", OPENAI_TIMEOUT_MS: "soon" },
    }).catch((e: Error) => e);
    const message = String(error);
    expect(message).toMatch(/exited with code 1/);
    expect(message).toMatch(/OPENAI_THRESHOLDS: threshold \\?"violance=0.7\\?": unknown category/);
    expect(message).toContain("OPENAI_TIMEOUT_MS: expected a whole number from 100 to 29000");
    expect(message).not.toContain(OPENAI_KEY);
  });
});
