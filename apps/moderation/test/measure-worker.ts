/**
 * Measures the composite moderation Worker in workerd (the figures of docs/deploy-workers.md):
 * bundle size, the first request of an isolate (it builds the engines: the keyword matcher), and
 * the warm time of a moderation call per engine (input of 300 characters, output of 3,000), as
 * medians over many requests. Wall time on loopback, so an upper bound of the CPU time Cloudflare
 * bills. Not a test: run it by hand.
 *
 *   pnpm --filter @dify-ext/moderation exec tsx test/measure-worker.ts            # the sample list
 *   KEYWORDS_FILES=/tmp/100k.txt pnpm --filter @dify-ext/moderation exec tsx test/measure-worker.ts
 */
import { fileURLToPath } from "node:url";
import { difyCall } from "@dify-ext/test-support/app-process";
import { startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { buildWorker, type RunningWorker, startWorker } from "@dify-ext/test-support/worker";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "measure-key-0123456789";
const OPENAI_KEY = "sk-measure-0123456789";
const REQUESTS = Number(process.env.REQUESTS ?? 200);

const PROSE =
  "The committee met on Tuesday to review the quarterly figures and agreed that the new schedule should start in spring. " +
  "Several members asked for clearer reports, and the chair promised a short summary for every department before the next meeting. ";

/** Clean prose of exactly `length` characters, made unique by `n` (defeats the OpenAI engine's cache). */
function text(length: number, n: number): string {
  const tag = ` #${n}`;
  return (PROSE.repeat(Math.ceil(length / PROSE.length) + 1).slice(0, length - tag.length) + tag).slice(0, length);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function timed(
  worker: RunningWorker,
  point: "app.moderation.input" | "app.moderation.output",
  params: unknown,
): Promise<number> {
  const started = performance.now();
  const response = await difyCall(worker.receiveUrl, KEY, point, params);
  await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`${point} answered ${response.status}`);
  return ms;
}

const listFiles = process.env.KEYWORDS_FILES;
const build = await buildWorker(appDir, listFiles ? { KEYWORDS_FILES: listFiles, KEYWORDS_ALLOW_FILES: "" } : {});
const lists = /keyword lists for the Worker: [^\n]*/.exec(build.log)?.[0] ?? "";
console.log(`${lists}\nbundle: ${build.bytes} bytes, ${build.gzipBytes} gzipped`);
const fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });

try {
  for (const engines of ["keywords", "obscenity", "openai", "keywords,obscenity"]) {
    const worker = await startWorker(build, {
      API_KEYS: KEY,
      MODERATION_ENGINES: engines,
      MODERATION_INPUT_ACTION: "mask",
      MODERATION_OUTPUT_ACTION: "mask",
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: fake.url,
    });
    try {
      // The first call of an isolate reads the config and builds the engines.
      const first = await timed(worker, "app.moderation.input", { app_id: "m", inputs: {}, query: text(300, 0) });
      const loaded = worker.output.map((line) => /"buildMs":(\d+)/.exec(line)?.[1]).find(Boolean);
      const input: number[] = [];
      const output: number[] = [];
      const ping: number[] = [];
      for (let n = 1; n <= REQUESTS; n++) {
        const started = performance.now();
        await (await difyCall(worker.receiveUrl, KEY, "ping", {})).text();
        ping.push(performance.now() - started);
        input.push(
          await timed(worker, "app.moderation.input", {
            app_id: "m",
            inputs: { topic: "planning" },
            query: text(300, n),
          }),
        );
        output.push(await timed(worker, "app.moderation.output", { app_id: "m", text: text(3000, n) }));
        if (n % 100 === 0) fake.reset();
      }
      // The core's own measure of each call (its access log `ms`), without the HTTP round trip.
      const inside = (point: string) =>
        median(
          worker.output
            .filter((line) => line.includes('"msg":"request"') && line.includes(`"point":"${point}"`))
            .map((line) => (JSON.parse(line) as { ms: number }).ms),
        );
      console.log(
        `${engines}: first call ${round(first)} ms${loaded ? ` (matcher build ${loaded} ms)` : ""}; warm medians over ${REQUESTS}: ` +
          `input 300 chars ${round(median(input))} ms (in the Worker ${round(inside("app.moderation.input"))} ms), ` +
          `output 3,000 chars ${round(median(output))} ms (in the Worker ${round(inside("app.moderation.output"))} ms), ping ${round(median(ping))} ms`,
      );
    } finally {
      await worker.stop();
    }
  }
} finally {
  await fake.close();
  await build.remove();
}
