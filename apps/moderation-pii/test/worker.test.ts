import { fileURLToPath } from "node:url";
import { workerBasicsSuite, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { piiCases } from "./cases.ts";

const worker = workerTransport(fileURLToPath(new URL("..", import.meta.url)));
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
piiCases(worker);

describe("moderation-pii as a Worker", () => {
  const { misconfiguration } = workerBasicsSuite(worker, {
    key: "good-key-1234",
    badVariables: { PII_MASK_STYLE: "hash" },
  });

  it("names an unknown phone region in the 500 (where Node refuses to start)", async () => {
    expect(await misconfiguration({ API_KEYS: "good-key-1234", PII_PHONE_REGION: "XX" })).toBe(
      'moderation-pii is misconfigured: PII_PHONE_REGION: unknown phone region "XX"; expected an ISO 3166-1 alpha-2 code such as US, GB, DE or CN',
    );
  });
});
