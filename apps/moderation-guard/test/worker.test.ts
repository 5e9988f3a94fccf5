import { fileURLToPath } from "node:url";
import { workerBasicsSuite, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { GUARD_KEY, guardCases, KEY } from "./cases.ts";

const worker = workerTransport(fileURLToPath(new URL("..", import.meta.url)));
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
guardCases(worker);

describe("moderation-guard as a Worker", () => {
  const { misconfiguration } = workerBasicsSuite(worker, { key: KEY, secret: GUARD_KEY });

  it("requires GUARD_BASE_URL and GUARD_MODEL (a Worker runs as production), naming them in the 500", async () => {
    const message = await misconfiguration({ API_KEYS: KEY });
    expect(message).toMatch(/^moderation-guard is misconfigured: GUARD_BASE_URL: required by the guard engine/);
    expect(message).toContain("GUARD_MODEL: required");
  });

  it("names a bad format, never echoing the guard key", async () => {
    const message = await misconfiguration({
      API_KEYS: KEY,
      GUARD_BASE_URL: "http://127.0.0.1:9/v1",
      GUARD_MODEL: "llama-guard3:8b",
      GUARD_FORMAT: "llamaguard",
      GUARD_API_KEY: GUARD_KEY,
    });
    expect(message).toContain("GUARD_FORMAT: expected one of llama-guard, qwen3guard, shieldgemma");
  });
});
