import { fileURLToPath } from "node:url";
import { difyCall } from "@dify-ext/test-support/app-process";
import { FREE_PLAN_GZIP_LIMIT, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { obscenityCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const worker = workerTransport(appDir);
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
obscenityCases(worker);

describe("moderation-obscenity as a Worker", () => {
  it("stays within the free plan's size limit", async () => {
    const build = await worker.build();
    console.log(`moderation-obscenity Worker bundle: ${build.bytes} bytes, ${build.gzipBytes} gzipped`);
    expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
  });

  it("answers every call with a 500 naming the bad variables, and never echoes a key", async () => {
    const bad = await worker.start({ API_KEYS: "abcd,good-key-1234", MODERATION_INPUT_ACTION: "delete" });
    try {
      const response = await difyCall(bad.receiveUrl, "good-key-1234", "ping", {});
      expect(response.status).toBe(500);
      const { message } = ((await response.json()) as { error: { message: string } }).error;
      expect(message).toMatch(/^moderation-obscenity is misconfigured: /);
      for (const name of ["API_KEYS", "MODERATION_INPUT_ACTION"]) expect(message).toContain(name);
      expect(message).not.toContain("good-key-1234");
      expect(bad.output.join("\n")).not.toContain("good-key-1234");
    } finally {
      await bad.stop();
    }
  });

  it("names an unusable extra term in the 500 (where Node refuses to start)", async () => {
    const bad = await worker.start({ API_KEYS: "good-key-1234", OBSCENITY_EXTRA_TERMS: "scam,*" });
    try {
      const response = await difyCall(bad.receiveUrl, "good-key-1234", "ping", {});
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
        'moderation-obscenity is misconfigured: OBSCENITY_EXTRA_TERMS: obscenity extra term #2 ("*") is empty',
      );
    } finally {
      await bad.stop();
    }
  });

  it("requires API keys: a Worker is public, so there is no development key", async () => {
    const bare = await worker.start({});
    try {
      const response = await difyCall(bare.receiveUrl, "dify-ext-dev-key", "ping", {});
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /misconfigured: API_KEYS: required/,
      );
    } finally {
      await bare.stop();
    }
  });
});
