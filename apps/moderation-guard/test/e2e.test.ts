import { fileURLToPath } from "node:url";
import { startupFailure } from "@dify-ext/test-support/app-process";
import { startProcessForSuite } from "@dify-ext/test-support/app-suite";
import { INPUT_BLOCKED, PASS } from "@dify-ext/test-support/replies";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { expectPong, GUARD_KEY, guardCases, input, KEY, output } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
guardCases(nodeTransport(appDir));

// Node only: outside production the app starts without a model (a Worker is production).
describe("moderation-guard without GUARD_BASE_URL (Node)", () => {
  const app = startProcessForSuite({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_INPUT_ON_ERROR: "closed" } });

  it("starts outside production, says so loudly, and answers ping", async () => {
    expect(
      app.output.some((line) => line.includes('"level":"warn"') && line.includes("GUARD_BASE_URL is not set")),
    ).toBe(true);
    await expectPong(app);
  });

  it("reports not ready on /readyz, with the reason", async () => {
    const response = await fetch(`${app.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready", reason: "GUARD_BASE_URL is not set" });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("answers moderation calls by the failure policy of each point", async () => {
    expect(await input(app, "I am VIOLENT")).toEqual(INPUT_BLOCKED);
    expect(await output(app, "I am VIOLENT")).toEqual(PASS);
  });
});

describe("moderation-guard start-up checks (Node)", () => {
  it("refuses to start in production without GUARD_BASE_URL and GUARD_MODEL, naming them", async () => {
    const message = await startupFailure({ cwd: appDir, env: { NODE_ENV: "production", API_KEYS: KEY } });
    expect(message).toMatch(/exited with code 1/);
    expect(message).toContain("GUARD_BASE_URL: required by the guard engine with NODE_ENV=production");
    expect(message).toContain("GUARD_MODEL: required by the guard engine");
  });

  it("names a model whose format it cannot tell, and a bad category, never echoing the key", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        GUARD_BASE_URL: "http://127.0.0.1:9/v1",
        GUARD_MODEL: "my-moderator",
        GUARD_API_KEY: GUARD_KEY,
        GUARD_TIMEOUT_MS: "soon",
      },
    });
    expect(message).toMatch(/exited with code 1/);
    expect(message).toMatch(/GUARD_FORMAT: cannot tell the guard model's format from its name \\?"my-moderator\\?"/);
    expect(message).toContain("GUARD_TIMEOUT_MS: expected a whole number from 100 to 29000");
    expect(message).not.toContain(GUARD_KEY);
    const category = await startupFailure({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        GUARD_BASE_URL: "http://127.0.0.1:9/v1",
        GUARD_MODEL: "llama-guard3:1b",
        GUARD_INPUT_CATEGORIES: "S1,S42",
      },
    });
    expect(category).toMatch(/GUARD_INPUT_CATEGORIES: unknown llama-guard category \\?"S42\\?"/);
  });
});
