import { fileURLToPath } from "node:url";
import { startupFailure } from "@dify-ext/test-support/app-process";
import { startProcessForSuite } from "@dify-ext/test-support/app-suite";
import { INPUT_BLOCKED, PASS } from "@dify-ext/test-support/replies";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { expectPong, input, KEY, OPENAI_KEY, openaiCases, output } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
openaiCases(nodeTransport(appDir));

// Node only: outside production the app starts without an OpenAI key (a Worker is production).
describe("moderation-openai without OPENAI_API_KEY (Node)", () => {
  const app = startProcessForSuite({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_INPUT_ON_ERROR: "closed" } });

  it("starts outside production, says so loudly, and answers ping", async () => {
    expect(
      app.output.some((line) => line.includes('"level":"warn"') && line.includes("OPENAI_API_KEY is not set")),
    ).toBe(true);
    await expectPong(app);
  });

  it("reports not ready on /readyz, with the reason", async () => {
    const response = await fetch(`${app.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready", reason: "OPENAI_API_KEY is not set" });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("answers moderation calls by the failure policy of each point", async () => {
    expect(await input(app, "I am VIOLENT")).toEqual(INPUT_BLOCKED); // MODERATION_INPUT_ON_ERROR=closed
    expect(await output(app, "I am VIOLENT")).toEqual(PASS); // MODERATION_OUTPUT_ON_ERROR defaults to open
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
