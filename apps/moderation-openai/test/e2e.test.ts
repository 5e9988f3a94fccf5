import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startupFailure } from "@dify-ext/test-support/app-process";
import { upstreamUnsetSuite } from "@dify-ext/test-support/app-suite";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { KEY, OPENAI_KEY, openaiCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
openaiCases(nodeTransport(appDir));

// Node only: outside production the app starts without an OpenAI key (a Worker is production).
upstreamUnsetSuite({ app: "moderation-openai", engine: "openai", appDir, key: KEY, variable: "OPENAI_API_KEY" });

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
    const message = await startupFailure({ cwd: appDir, env: { NODE_ENV: "production", API_KEYS: KEY } });
    expect(message).toMatch(/exited with code 1/);
    expect(message).toContain("OPENAI_API_KEY: required by the openai engine with NODE_ENV=production");
  });

  it("names a bad threshold and a bad timeout", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: { API_KEYS: KEY, OPENAI_API_KEY: OPENAI_KEY, OPENAI_THRESHOLDS: "violance=0.7", OPENAI_TIMEOUT_MS: "soon" },
    });
    expect(message).toMatch(/exited with code 1/);
    expect(message).toMatch(/OPENAI_THRESHOLDS: threshold \\?"violance=0.7\\?": unknown category/);
    expect(message).toContain("OPENAI_TIMEOUT_MS: expected a whole number from 100 to 29000");
    expect(message).not.toContain(OPENAI_KEY);
  });
});
