import { fileURLToPath } from "node:url";
import { workerBasicsSuite, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { obscenityCases } from "./cases.ts";

const worker = workerTransport(fileURLToPath(new URL("..", import.meta.url)));
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
obscenityCases(worker);

describe("moderation-obscenity as a Worker", () => {
  const { misconfiguration } = workerBasicsSuite(worker, {
    key: "good-key-1234",
    apiKeysRequired: { key: "dify-ext-dev-key" },
    badVariables: { MODERATION_INPUT_ACTION: "delete" },
  });

  it("names an unusable extra term in the 500 (where Node refuses to start)", async () => {
    expect(await misconfiguration({ API_KEYS: "good-key-1234", OBSCENITY_EXTRA_TERMS: "scam,*" })).toBe(
      'moderation-obscenity is misconfigured: OBSCENITY_EXTRA_TERMS: obscenity extra term #2 ("*") is empty',
    );
  });
});
