import { fileURLToPath } from "node:url";
import { startAppProcess, startupFailure } from "@dify-ext/test-support/app-process";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { enginesOf, KEY, moderationCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
moderationCases(nodeTransport(appDir));

describe("moderation (composite) start-up checks (Node)", () => {
  it("refuses an unknown engine, naming MODERATION_ENGINES and the valid names", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: { API_KEYS: KEY, MODERATION_ENGINES: "keywords,perspective" },
    });
    expect(message).toMatch(/exited with code 1/);
    expect(message).toContain(
      'MODERATION_ENGINES: unknown engine \\"perspective\\"; expected any of keywords, obscenity, injection, pii, openai, guard',
    );
  });

  it("requires OPENAI_API_KEY in production only when openai is among the engines", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: { NODE_ENV: "production", API_KEYS: KEY, MODERATION_ENGINES: "keywords,openai" },
    });
    expect(message).toContain("OPENAI_API_KEY: required by the openai engine with NODE_ENV=production");
    const app = await startAppProcess({
      cwd: appDir,
      env: { NODE_ENV: "production", API_KEYS: KEY, MODERATION_ENGINES: "keywords" },
    });
    expect(await enginesOf(app)).toEqual(["keywords"]);
    expect(await app.stop()).toBe(0);
  });
});
