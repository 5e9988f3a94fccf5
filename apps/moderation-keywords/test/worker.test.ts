import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildWorker,
  type BuiltWorker,
  FREE_PLAN_GZIP_LIMIT,
  type RunningWorker,
  startWorker,
} from "@dify-ext/test-support/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOM_ENV, CUSTOM_FOLDED_LIST, CUSTOM_LIST, customListCases, SAMPLE_ENV, sampleListCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

describe("the Worker in workerd", () => {
  let dir: string;
  let builds: BuiltWorker[] = [];
  let sample: RunningWorker;
  let custom: RunningWorker;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "keywords-worker-"));
    await writeFile(join(dir, "block.txt"), CUSTOM_LIST);
    await writeFile(join(dir, "zh.txt"), CUSTOM_FOLDED_LIST);
    await writeFile(join(dir, "allow.txt"), "");
    // Sequential: both builds write the app's .worker/files.js.
    const sampleBuild = await buildWorker(appDir);
    const customBuild = await buildWorker(appDir, {
      KEYWORDS_FILES: `${join(dir, "block.txt")},${join(dir, "zh.txt")}`,
      KEYWORDS_ALLOW_FILES: join(dir, "allow.txt"),
    });
    builds = [sampleBuild, customBuild];
    [sample, custom] = await Promise.all([startWorker(sampleBuild, SAMPLE_ENV), startWorker(customBuild, CUSTOM_ENV)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([sample?.stop(), custom?.stop()]);
    await Promise.all(builds.map((build) => build.remove()));
    await rm(dir, { recursive: true, force: true });
  });

  sampleListCases("Worker", () => sample);
  customListCases("Worker", () => custom);

  it("bundles the lists at build time and stays within the free plan's size limit", () => {
    expect(builds[0]!.log).toMatch(/"lists":\[\{"name":"sample","terms":\d+/);
    expect(builds[1]!.log).toMatch(
      /"lists":\[\{"name":"block","terms":2,[^}]*\},\{"name":"zh","terms":1,[^}]*"fold":"chinese"\}\]/,
    );
    for (const build of builds) expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
    console.log(`moderation-keywords Worker bundle: ${builds[0]!.bytes} bytes, ${builds[0]!.gzipBytes} gzipped`);
  });

  it("serves the playground's explain endpoint (not the page) only with PLAYGROUND=true", async () => {
    const build = builds[1]!;
    const call = (worker: RunningWorker) =>
      fetch(`${worker.url}/api/playground/explain`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${CUSTOM_ENV.API_KEYS}` },
        body: JSON.stringify({
          point: "app.moderation.input",
          params: { app_id: "w", inputs: {}, query: "a badword" },
        }),
      });
    expect((await call(custom)).status).toBe(404);
    const on = await startWorker(build, { ...CUSTOM_ENV, PLAYGROUND: "true" });
    try {
      const response = await call(on);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        reply: { flagged: true, action: "overridden", query: "a *******" },
        texts: [{ source: "query", findings: [{ start: 2, end: 9, engine: "keywords", label: "badword" }] }],
        lists: [
          { engine: "keywords", name: "block", kind: "block", terms: 2 },
          { engine: "keywords", name: "zh", kind: "block", terms: 1 },
          { engine: "keywords", name: "allow", kind: "allow", terms: 0 },
        ],
      });
      expect((await fetch(`${on.url}/playground`)).status).toBe(404);
    } finally {
      await on.stop();
    }
  });

  it("refuses verdict webhooks, which only the Node service sends, naming the variable", async () => {
    const hooked = await startWorker(builds[0]!, {
      ...SAMPLE_ENV,
      MODERATION_WEBHOOK_URL: "https://audit.example/hooks/dify",
      MODERATION_WEBHOOK_SECRET: "whsec-worker-0123456789",
    });
    try {
      const response = await fetch(hooked.receiveUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${SAMPLE_ENV.API_KEYS}` },
        body: JSON.stringify({ point: "ping", params: {} }),
      });
      expect(response.status).toBe(500);
      const { message } = ((await response.json()) as { error: { message: string } }).error;
      expect(message).toMatch(
        /misconfigured: MODERATION_WEBHOOK_URL: verdict webhooks are sent by the Node service only/,
      );
      expect(message).not.toContain("whsec");
    } finally {
      await hooked.stop();
    }
  });

  it("requires API keys: a Worker is public, so there is no development key", async () => {
    const build = builds[0]!;
    const bare = await startWorker(build, {});
    try {
      const response = await fetch(bare.receiveUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer dify-ext-dev-key" },
        body: JSON.stringify({ point: "ping", params: {} }),
      });
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /misconfigured: API_KEYS: required/,
      );
    } finally {
      await bare.stop();
    }
  });
});
