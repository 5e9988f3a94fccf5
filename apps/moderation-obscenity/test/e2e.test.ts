import { fileURLToPath } from "node:url";
import { startAppProcess } from "@dify-ext/test-support/app-process";
import { nodeTransport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";
import { KEY, obscenityCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

// The shared end-to-end cases against the real Node process (test/worker.test.ts runs them in workerd).
obscenityCases(nodeTransport(appDir));

describe("moderation-obscenity start-up checks (Node)", () => {
  it("refuses an unusable extra term, naming it", async () => {
    const error = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, OBSCENITY_EXTRA_TERMS: "scam,*" } }).catch(
      (e: Error) => e,
    );
    expect(String(error)).toMatch(/exited with code 1/);
    expect(String(error)).toMatch(/obscenity extra term #2 \(\\?"\*\\?"\) is empty/);
  });
});
