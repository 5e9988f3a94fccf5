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
upstreamUnsetSuite({ app: "moderation-openai", appDir, key: KEY, variable: "OPENAI_API_KEY" });

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
