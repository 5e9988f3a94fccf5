/**
 * Memory of the composite moderation app under output-moderation calls that each carry a huge
 * `app_id` (issue 22, hole 1): the app started as its deployable (`node main.mjs`), idle RSS after
 * a few ordinary calls, then `--calls` calls (default 400) with a `--app-id-kb` app id (default
 * 900 KB) and a streamed-answer-sized text, then RSS again. Prints one line of figures and exits 1
 * when RSS grew past idle + the stream cache limit + 64 MB.
 *
 *   pnpm --filter @dify-ext/bench exec tsx src/app-id-memory.ts [--calls 400] [--app-id-kb 900]
 */
import { parseArgs } from "node:util";
import { appDeployable } from "./deployables.ts";
import { COMMON_ENV, sleep } from "./http.ts";
import { startPinned } from "./processes.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "400" },
    "app-id-kb": { type: "string", default: "900" },
    "cache-mb": { type: "string", default: "32" },
    concurrency: { type: "string", default: "8" },
    "max-old-space-mb": { type: "string" },
    "settle-s": { type: "string", default: "1" },
  },
});
const calls = Number(values.calls);
const appIdBytes = Number(values["app-id-kb"]) * 1024;
const cacheBytes = Number(values["cache-mb"]) * 1024 * 1024;
const concurrency = Number(values.concurrency);
const settleMs = Number(values["settle-s"]) * 1000;
const MB = 1024 * 1024;
const SLACK = 64 * MB;

const server = await startPinned({
  name: "moderation (composite)",
  ...appDeployable("apps/moderation"),
  env: { ...COMMON_ENV, MODERATION_STREAM_CACHE_BYTES: String(cacheBytes) },
  cpu: undefined,
  nodeArgs: values["max-old-space-mb"] ? [`--max-old-space-size=${values["max-old-space-mb"]}`] : [],
});
const statuses = new Map<number, number>();
const post = async (appId: string, text: string) => {
  const response = await fetch(server.receiveUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${COMMON_ENV.API_KEYS}` },
    body: JSON.stringify({ point: "app.moderation.output", params: { app_id: appId, text } }),
  });
  await response.arrayBuffer();
  return response.status;
};
// An answer as Dify streams it: at least 300 characters, different for every call.
const answer = (i: number) => `Answer ${i}: ${"the weather is mild and the river is calm. ".repeat(12)}`;
try {
  for (let i = 0; i < 20; i++) await post("9a1f5c1e-0000-4000-8000-000000000000", answer(i));
  await sleep(1000);
  const idle = server.rss();
  let next = 0;
  let peak = idle;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const i = next++;
        // Distinct ids, so no call replaces another's cache entry.
        const appId = `${i.toString(36).padStart(6, "0")}${"x".repeat(appIdBytes - 6)}`;
        const status = await post(appId, answer(i)).catch(() => 0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        peak = Math.max(peak, server.rss());
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await sleep(settleMs);
  const after = server.rss();
  peak = Math.max(peak, after);
  const bound = idle + cacheBytes + SLACK;
  const shown = [...statuses].map(([status, count]) => `${count}x${status}`).join(" ");
  console.log(
    `${calls} output calls, app_id ${appIdBytes / 1024} KB (${shown}) in ${seconds.toFixed(1)} s: ` +
      `idle RSS ${(idle / MB).toFixed(0)} MB, after ${(after / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB; ` +
      `bound idle + cache ${cacheBytes / MB} MB + 64 MB = ${(bound / MB).toFixed(0)} MB: ${peak <= bound ? "WITHIN" : "EXCEEDED"}`,
  );
  process.exitCode = peak <= bound ? 0 : 1;
} finally {
  await server.stop();
}
