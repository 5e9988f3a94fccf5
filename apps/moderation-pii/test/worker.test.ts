import { fileURLToPath } from "node:url";
import { difyCall } from "@dify-ext/test-support/app-process";
import { FREE_PLAN_GZIP_LIMIT, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { piiCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const worker = workerTransport(appDir);
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
piiCases(worker);

describe("moderation-pii as a Worker", () => {
  it("stays within the free plan's size limit", async () => {
    const build = await worker.build();
    console.log(`moderation-pii Worker bundle: ${build.bytes} bytes, ${build.gzipBytes} gzipped`);
    expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
  });

  it("answers every call with a 500 naming the bad variables, and never echoes a key", async () => {
    const bad = await worker.start({ API_KEYS: "abcd,good-key-1234", PII_MASK_STYLE: "hash" });
    try {
      const response = await difyCall(bad.receiveUrl, "good-key-1234", "ping", {});
      expect(response.status).toBe(500);
      const { message } = ((await response.json()) as { error: { message: string } }).error;
      expect(message).toMatch(/^moderation-pii is misconfigured: /);
      for (const name of ["API_KEYS", "PII_MASK_STYLE"]) expect(message).toContain(name);
      expect(message).not.toContain("good-key-1234");
      expect(bad.output.join("\n")).not.toContain("good-key-1234");
    } finally {
      await bad.stop();
    }
  });

  it("names an unknown phone region in the 500 (where Node refuses to start)", async () => {
    const bad = await worker.start({ API_KEYS: "good-key-1234", PII_PHONE_REGION: "XX" });
    try {
      const response = await difyCall(bad.receiveUrl, "good-key-1234", "ping", {});
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
        'moderation-pii is misconfigured: PII_PHONE_REGION: unknown phone region "XX"; expected an ISO 3166-1 alpha-2 code such as US, GB, DE or CN',
      );
    } finally {
      await bad.stop();
    }
  });
});
