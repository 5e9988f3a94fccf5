import { fileURLToPath } from "node:url";
import { startAppForSuite } from "@dify-ext/test-support/app-suite";
import {
  FREE_PLAN_GZIP_LIMIT,
  pingOnce,
  type RunningTarget,
  workerBasicsSuite,
  workerTransport,
} from "@dify-ext/test-support/worker";
import { afterAll, describe, expect, it } from "vitest";
import { CUSTOM_ENV, customListCases, customListFiles, KEY, SAMPLE_ENV, sampleListCases } from "./cases.ts";

const worker = workerTransport(fileURLToPath(new URL("..", import.meta.url)));

describe("the Worker in workerd", () => {
  // The lists are bundled at build time: the custom one makes a second build (builds run one at a time).
  const lists = customListFiles("keywords-worker-");
  afterAll(() => worker.close());
  const sample = startAppForSuite(worker, SAMPLE_ENV, 120_000);
  const custom = startAppForSuite(worker, lists.env, 120_000);

  sampleListCases("Worker", () => sample);
  customListCases("Worker", () => custom);

  // Its own size check: one per build. The check for API keys starts the sample build without any.
  workerBasicsSuite(worker, { key: "dify-ext-dev-key", sizeCheck: false, apiKeysRequired: {} });

  it("bundles the lists at build time and stays within the free plan's size limit", () => {
    const [sampleBuild, customBuild] = worker.builds.map(({ build }) => build);
    expect(sampleBuild!.log).toMatch(/"lists":\[\{"name":"sample","terms":\d+/);
    expect(customBuild!.log).toMatch(
      /"lists":\[\{"name":"block","terms":2,[^}]*\},\{"name":"zh","terms":2,[^}]*"folds":\["chinese","pinyin","homophones"\]\}\]/,
    );
    for (const { build } of worker.builds) expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
    console.log(`moderation-keywords Worker bundle: ${sampleBuild!.bytes} bytes, ${sampleBuild!.gzipBytes} gzipped`);
  });

  it("serves the playground's explain endpoint (not the page) only with PLAYGROUND=true", async () => {
    const call = (app: RunningTarget) =>
      fetch(`${app.url}/api/playground/explain`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${CUSTOM_ENV.API_KEYS}` },
        body: JSON.stringify({
          point: "app.moderation.input",
          params: { app_id: "w", inputs: {}, query: "a badword" },
        }),
      });
    expect((await call(custom)).status).toBe(404);
    const on = await worker.start({ ...lists.env(), PLAYGROUND: "true" });
    try {
      const response = await call(on);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        reply: { flagged: true, action: "overridden", query: "a *******" },
        texts: [{ source: "query", findings: [{ start: 2, end: 9, engine: "keywords", label: "badword" }] }],
        lists: [
          { engine: "keywords", name: "block", kind: "block", terms: 2 },
          { engine: "keywords", name: "zh", kind: "block", terms: 2, folds: ["chinese", "pinyin", "homophones"] },
          { engine: "keywords", name: "allow", kind: "allow", terms: 0 },
        ],
      });
      expect((await fetch(`${on.url}/playground`)).status).toBe(404);
    } finally {
      await on.stop();
    }
  });

  it("refuses verdict webhooks, which only the Node service sends, naming the variable", async () => {
    const { status, message } = await pingOnce(worker, KEY, {
      ...SAMPLE_ENV,
      MODERATION_WEBHOOK_URL: "https://audit.example/hooks/dify",
      MODERATION_WEBHOOK_SECRET: "whsec-worker-0123456789",
    });
    expect(status).toBe(500);
    expect(message).toMatch(
      /misconfigured: MODERATION_WEBHOOK_URL: verdict webhooks are sent by the Node service only/,
    );
    expect(message).not.toContain("whsec");
  });
});
