import { fileURLToPath } from "node:url";
import { FREE_PLAN_GZIP_LIMIT, pingOnce, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { KEY, OPENAI_KEY, openaiCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const worker = workerTransport(appDir);
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
openaiCases(worker);

/** The 500 a misconfigured Worker answers (Dify shows its message when the extension is saved). */
async function misconfiguration(env: Record<string, string>): Promise<string> {
  const { status, message, output } = await pingOnce(worker, KEY, env);
  expect(status).toBe(500);
  expect(output.join("\n")).not.toContain(OPENAI_KEY);
  return message ?? "";
}

describe("moderation-openai as a Worker", () => {
  it("stays within the free plan's size limit", async () => {
    const build = await worker.build();
    console.log(`moderation-openai Worker bundle: ${build.bytes} bytes, ${build.gzipBytes} gzipped`);
    expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
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
    expect(message).not.toContain(OPENAI_KEY);
  });

  it("requires API keys: a Worker is public, so there is no development key", async () => {
    expect(await misconfiguration({ OPENAI_API_KEY: OPENAI_KEY })).toMatch(/misconfigured: API_KEYS: required/);
  });
});
