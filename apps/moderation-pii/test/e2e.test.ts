import { fileURLToPath } from "node:url";
import { startupFailure } from "@dify-ext/test-support/app-process";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { KEY, piiCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
piiCases(nodeTransport(appDir));

describe("moderation-pii start-up checks (Node)", () => {
  it("refuses to start with bad variables, naming each one and never echoing a value", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: { API_KEYS: KEY, PII_TYPES: "email,passport", PII_MASK_STYLE: "hash", PII_PHONE_REGION: "USA" },
    });
    expect(message).toMatch(/exited with code 1/);
    for (const name of ["PII_TYPES", "PII_MASK_STYLE", "PII_PHONE_REGION"]) expect(message).toContain(name);
    expect(message).toMatch(/unknown type #2 \\?"passport\\?"/);
  });

  it("refuses a region libphonenumber-js does not know, naming PII_PHONE_REGION", async () => {
    const message = await startupFailure({ cwd: appDir, env: { API_KEYS: KEY, PII_PHONE_REGION: "XX" } });
    expect(message).toMatch(/exited with code 1/);
    expect(message).toMatch(/PII_PHONE_REGION: unknown phone region \\?"XX\\?"/);
  });
});
