import { fileURLToPath } from "node:url";
import { startupFailure } from "@dify-ext/test-support/app-process";
import { upstreamUnsetSuite } from "@dify-ext/test-support/app-suite";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { GUARD_KEY, guardCases, KEY } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
guardCases(nodeTransport(appDir));

// Node only: outside production the app starts without a model (a Worker is production).
upstreamUnsetSuite({ app: "moderation-guard", engine: "guard", appDir, key: KEY, variable: "GUARD_BASE_URL" });

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
