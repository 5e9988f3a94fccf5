import { fileURLToPath } from "node:url";
import { difyCall } from "@dify-ext/test-support/app-process";
import { FREE_PLAN_GZIP_LIMIT, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { injectionCases, KEY } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const worker = workerTransport(appDir);
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
injectionCases(worker);

describe("moderation-injection as a Worker", () => {
  it("stays within the free plan's size limit", async () => {
    const build = await worker.build();
    console.log(`moderation-injection Worker bundle: ${build.bytes} bytes, ${build.gzipBytes} gzipped`);
    expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
  });

  it("answers every call with a 500 naming the bad variables, and never echoes a key", async () => {
    const bad = await worker.start({ API_KEYS: `abcd,${KEY}`, INJECTION_THRESHOLD: "lots" });
    try {
      const response = await difyCall(bad.receiveUrl, KEY, "ping", {});
      expect(response.status).toBe(500);
      const { message } = ((await response.json()) as { error: { message: string } }).error;
      expect(message).toMatch(/^moderation-injection is misconfigured: /);
      for (const name of ["API_KEYS", "INJECTION_THRESHOLD"]) expect(message).toContain(name);
      expect(message).not.toContain(KEY);
    } finally {
      await bad.stop();
    }
  });
});
