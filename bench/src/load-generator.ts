/**
 * The load generator: autocannon in its own process (pinned to the other CPU by
 * `startLoadGenerator`). Reads one LoadSpec per line on stdin and answers each with one JSON line
 * (`{"result": LoadResult}` or `{"error": "..."}`), one run at a time, so a benchmark pays the
 * start-up of Node and autocannon once. Latencies are recorded from autocannon's `response`
 * events as floats: its own histogram keeps whole milliseconds, useless on loopback.
 *
 *   echo '<LoadSpec as JSON>' | node --import tsx src/load-generator.ts
 */
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import type { LoadResult, LoadSpec } from "./load.ts";

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function run(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const startUs = nowUs();
    const instance = autocannon(
      {
        url: spec.url,
        method: "POST",
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        duration: spec.durationSec,
        timeout: 10,
        expectBody: spec.expectBody,
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const endUs = nowUs();
        const sorted = latencies.subarray(0, count).sort();
        const statusCodes: Record<string, number> = {};
        for (const [code, { count: n }] of Object.entries(result.statusCodeStats)) statusCodes[code] = n;
        resolve({
          requests: result["2xx"],
          durationSec: result.duration,
          requestsPerSec: result["2xx"] / result.duration,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts + result.resets,
          mismatches: result.mismatches,
          statusCodes,
          startUs,
          endUs,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 200 || statusCode >= 300) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
  });
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
  if (line.trim() === "") continue;
  let reply: { result: LoadResult } | { error: string };
  try {
    const spec = JSON.parse(line) as LoadSpec;
    if (typeof spec?.url !== "string") throw new Error("a LoadSpec needs a url");
    reply = { result: await run(spec) };
  } catch (error) {
    reply = { error: (error as Error).message };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
