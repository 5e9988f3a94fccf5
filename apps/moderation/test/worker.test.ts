import { fileURLToPath } from "node:url";
import { FREE_PLAN_GZIP_LIMIT, pingOnce, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { enginesOf, KEY, moderationCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const worker = workerTransport(appDir);
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
moderationCases(worker);

/** The message of the 500 a misconfigured Worker answers (Dify shows it when the extension is saved). */
async function misconfiguration(env: Record<string, string>): Promise<string> {
  const { status, message } = await pingOnce(worker, KEY, env);
  expect(status).toBe(500);
  return message ?? "";
}

describe("moderation (composite) as a Worker", () => {
  it("bundles the sample list or the custom one, and stays within the free plan's size limit", async () => {
    const sample = await worker.build();
    expect(sample.log).toMatch(/keyword lists for the Worker: sample \(\d+ terms\)/);
    expect(worker.builds.length).toBeGreaterThanOrEqual(2);
    for (const { build } of worker.builds) expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
    console.log(`moderation Worker bundle: ${sample.bytes} bytes, ${sample.gzipBytes} gzipped`);
  });

  it("refuses an unknown engine with a 500 naming MODERATION_ENGINES and the valid names", async () => {
    expect(await misconfiguration({ API_KEYS: KEY, MODERATION_ENGINES: "keywords,perspective" })).toBe(
      'moderation is misconfigured: MODERATION_ENGINES: unknown engine "perspective"; expected any of keywords, obscenity, openai, guard',
    );
  });

  it("requires OPENAI_API_KEY only when openai is among the engines (a Worker runs as production)", async () => {
    expect(await misconfiguration({ API_KEYS: KEY, MODERATION_ENGINES: "keywords,openai" })).toContain(
      "OPENAI_API_KEY: required by the openai engine with NODE_ENV=production",
    );
    const app = await worker.start({ API_KEYS: KEY, MODERATION_ENGINES: "keywords" });
    try {
      expect(await enginesOf(app)).toEqual(["keywords"]);
    } finally {
      await app.stop();
    }
  });

  it("requires API keys: a Worker is public, so there is no development key", async () => {
    expect(await misconfiguration({})).toMatch(/misconfigured: API_KEYS: required/);
  });
});
