import { fileURLToPath } from "node:url";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUARD_KEY, guardCases, INPUT_BLOCKED, input, KEY, output, PASS } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
guardCases(nodeTransport(appDir));

// Node only: outside production the app starts without a model (a Worker is production).
describe("moderation-guard without GUARD_BASE_URL (Node)", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_INPUT_ON_ERROR: "closed" } });
  });
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
  });

  it("starts outside production, says so loudly, and answers ping", async () => {
    expect(
      app.output.some((line) => line.includes('"level":"warn"') && line.includes("GUARD_BASE_URL is not set")),
    ).toBe(true);
    expect(await (await difyCall(app.receiveUrl, KEY, "ping", {})).text()).toBe('{"result":"pong"}');
  });

  it("reports not ready on /readyz, with the reason", async () => {
    const response = await fetch(`${app.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: "not ready",
      reason:
        "not moderating: the guard engine cannot judge (GUARD_BASE_URL is not set); MODERATION_INPUT_ON_ERROR=closed blocks every input call, MODERATION_OUTPUT_ON_ERROR=open lets every output call through unmoderated",
    });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("answers moderation calls by the failure policy of each point", async () => {
    expect(await input(app, "I am VIOLENT")).toEqual(INPUT_BLOCKED);
    expect(await output(app, "I am VIOLENT")).toEqual(PASS);
  });
});

describe("moderation-guard start-up checks (Node)", () => {
  it("refuses to start in production without GUARD_BASE_URL and GUARD_MODEL, naming them", async () => {
    const error = await startAppProcess({ cwd: appDir, env: { NODE_ENV: "production", API_KEYS: KEY } }).catch(
      (e: Error) => e,
    );
    expect(String(error)).toMatch(/exited with code 1/);
    expect(String(error)).toContain("GUARD_BASE_URL: required by the guard engine with NODE_ENV=production");
    expect(String(error)).toContain("GUARD_MODEL: required by the guard engine");
  });

  it("names a model whose format it cannot tell, and a bad category, never echoing the key", async () => {
    const error = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        GUARD_BASE_URL: "http://127.0.0.1:9/v1",
        GUARD_MODEL: "my-moderator",
        GUARD_API_KEY: GUARD_KEY,
        GUARD_TIMEOUT_MS: "soon",
      },
    }).catch((e: Error) => e);
    const message = String(error);
    expect(message).toMatch(/exited with code 1/);
    expect(message).toMatch(/GUARD_FORMAT: cannot tell the guard model's format from its name \\?"my-moderator\\?"/);
    expect(message).toContain("GUARD_TIMEOUT_MS: expected a whole number from 100 to 29000");
    expect(message).not.toContain(GUARD_KEY);
    const category = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        GUARD_BASE_URL: "http://127.0.0.1:9/v1",
        GUARD_MODEL: "llama-guard3:1b",
        GUARD_INPUT_CATEGORIES: "S1,S42",
      },
    }).catch((e: Error) => e);
    expect(String(category)).toMatch(/GUARD_INPUT_CATEGORIES: unknown llama-guard category \\?"S42\\?"/);
  });
});
