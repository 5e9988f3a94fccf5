import { fileURLToPath } from "node:url";
import { startupFailure } from "@dify-ext/test-support/app-process";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { KEY, obscenityCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
obscenityCases(nodeTransport(appDir));

describe("moderation-obscenity start-up checks (Node)", () => {
  it("refuses an unusable extra term, naming it", async () => {
    const message = await startupFailure({ cwd: appDir, env: { API_KEYS: KEY, OBSCENITY_EXTRA_TERMS: "scam,*" } });
    expect(message).toMatch(/exited with code 1/);
    expect(message).toMatch(/obscenity extra term #2 \(\\?"\*\\?"\) is empty/);
  });
});
