import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FREE_PLAN_GZIP_LIMIT, workerBasicsSuite, workerTransport } from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { call, enginesOf, KEY, moderationCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const worker = workerTransport(appDir);
afterAll(() => worker.close());

// The shared end-to-end cases against the Worker in workerd (test/e2e.test.ts runs them under Node).
moderationCases(worker);

describe("moderation (composite) as a Worker", () => {
  // The size check is this app's own: it checks every build (the sample list and the custom ones).
  const { misconfiguration } = workerBasicsSuite(worker, { key: KEY, sizeCheck: false, apiKeysRequired: {} });

  it("bundles the sample list or the custom one, and stays within the free plan's size limit", async () => {
    const sample = await worker.build();
    expect(sample.log).toMatch(/"lists":\[\{"name":"sample","terms":\d+/);
    expect(worker.builds.length).toBeGreaterThanOrEqual(2);
    for (const { build } of worker.builds) expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
    console.log(`moderation Worker bundle: ${sample.bytes} bytes, ${sample.gzipBytes} gzipped`);
  });

  it("refuses an unknown engine with a 500 naming MODERATION_ENGINES and the valid names", async () => {
    expect(await misconfiguration({ API_KEYS: KEY, MODERATION_ENGINES: "keywords,perspective" })).toBe(
      'moderation is misconfigured: MODERATION_ENGINES: unknown engine "perspective"; expected any of keywords, obscenity, injection, pii, openai, guard',
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
});

describe("per-app policies on the Worker (MODERATION_POLICY_FILE bundled at build time)", () => {
  it("gives each app_id its own policy, the default to others, and answers shadow calls not flagged", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dify-ext-worker-policy-"));
    await writeFile(join(dir, "strict.txt"), "homework answers\n");
    await writeFile(join(dir, "new.txt"), "lottery\n");
    const file = join(dir, "policy.yaml");
    await writeFile(
      file,
      [
        "version: w1",
        "apps:",
        "  tutor: { keywords: { files: [strict.txt] }, input: { action: mask } }",
        "  pilot: { mode: shadow, keywords: { files: [new.txt] } }",
      ].join("\n"),
    );
    const app = await worker.start({ API_KEYS: KEY, MODERATION_ENGINES: "keywords", MODERATION_POLICY_FILE: file });
    try {
      const input = (appId: string, query: string) =>
        call(app, "app.moderation.input", { app_id: appId, inputs: {}, query });
      expect(await input("tutor", "the homework answers")).toEqual({
        flagged: true,
        action: "overridden",
        inputs: {},
        query: "the ****************",
      });
      expect(await input("someone", "the homework answers")).toEqual({ flagged: false, action: "direct_output" });
      expect(await input("pilot", "lottery")).toEqual({ flagged: false, action: "direct_output" });
      const build = worker.builds.find((b) => b.env.MODERATION_POLICY_FILE === file)!.build;
      expect(build.log).toMatch(
        /files for the moderation Worker: \S*policy\.yaml, policy:strict\.txt, policy:new\.txt;/,
      );
    } finally {
      await app.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000); // builds a Worker of its own
});
