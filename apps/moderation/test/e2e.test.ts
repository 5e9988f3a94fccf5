import { fileURLToPath } from "node:url";
import { difyCall, startAppProcess, startupFailure } from "@dify-ext/test-support/app-process";
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

describe("moderation (composite) memory, whatever the app_id (Node)", () => {
  it("stays up on a small heap through 100 output calls with distinct 900 KB app ids", async () => {
    // 100 ids of 900 KB are 90 MB: kept anywhere (a cache key not counted against its limit),
    // they exhaust a 64 MB heap and the process dies. Sent one after another: a few seconds, up to a
    // minute on a busy machine.
    const app = await startAppProcess({
      cwd: appDir,
      env: { API_KEYS: KEY, NODE_OPTIONS: "--max-old-space-size=64" },
    });
    try {
      const text = "An answer as Dify streams it, long enough to be cached. ".repeat(8);
      const statuses = new Set<number>();
      for (let i = 0; i < 100; i++) {
        const appId = `${i}`.padEnd(900 * 1024, "x");
        const response = await difyCall(app.receiveUrl, KEY, "app.moderation.output", { app_id: appId, text });
        statuses.add(response.status);
        await response.arrayBuffer();
      }
      expect([...statuses]).toEqual([400]);
      expect((await difyCall(app.receiveUrl, KEY, "ping", {})).status).toBe(200);
      expect(app.child.exitCode).toBeNull();
    } finally {
      await app.stop();
    }
  }, 120_000);
});
