import { fileURLToPath } from "node:url";
import { workerBasicsSuite, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { KEY, OPENAI_KEY, openaiCases } from "./cases.ts";

const worker = workerTransport(fileURLToPath(new URL("..", import.meta.url)));
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
openaiCases(worker);

describe("moderation-openai as a Worker", () => {
  const { misconfiguration } = workerBasicsSuite(worker, {
    key: KEY,
    secret: OPENAI_KEY,
    apiKeysRequired: { env: { OPENAI_API_KEY: OPENAI_KEY } },
  });

  it("requires OPENAI_API_KEY (a Worker runs as production), naming it in the 500", async () => {
    expect(await misconfiguration({ API_KEYS: KEY })).toBe(
      "moderation-openai is misconfigured: OPENAI_API_KEY: required by the openai engine with NODE_ENV=production",
    );
  });

  it("names a bad threshold and a bad timeout, never echoing the OpenAI key", async () => {
    const message = await misconfiguration({
      API_KEYS: KEY,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_THRESHOLDS: "violance=0.7",
      OPENAI_TIMEOUT_MS: "soon",
    });
    expect(message).toMatch(/OPENAI_THRESHOLDS: threshold "violance=0.7": unknown category/);
    expect(message).toContain("OPENAI_TIMEOUT_MS: expected a whole number from 100 to 29000");
  });
});
