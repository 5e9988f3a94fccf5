/**
 * How long a costly call takes against a running app, and how long a ping waits meanwhile (a ping
 * every 50 ms on a new connection, as Dify's calls come):
 *
 *   cd bench && pnpm exec tsx src/ping-wait.ts --url http://127.0.0.1:3005 explain 20000 60000
 *   cd bench && pnpm exec tsx src/ping-wait.ts --url http://127.0.0.1:3005 input 1040000
 *
 * `explain N`: a streamed playground explain (`buffer_size` 300) of N characters of
 * `+861380013800 ` repeated, and one explain of the whole text. `input N`: one input moderation
 * call carrying N characters of it in inputs of at most 260,000, then two such calls at once. The
 * key comes from `--key` (default: the development key).
 */
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { url: { type: "string" }, key: { type: "string", default: "dify-ext-dev-key" } },
});
const [mode, ...sizes] = positionals;
if (!values.url || (mode !== "explain" && mode !== "input") || sizes.length === 0) {
  console.error("usage: ping-wait.ts --url <base url> [--key <key>] explain|input <characters>...");
  process.exit(2);
}
const base = values.url;
const headers = { authorization: `Bearer ${values.key}`, "content-type": "application/json" };
const RUN = "+861380013800 ";
const phoneRun = (length: number) => RUN.repeat(Math.ceil(length / RUN.length)).slice(0, length);

async function post(path: string, body: unknown): Promise<{ status: number; seconds: number; text: string }> {
  const started = performance.now();
  const response = await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, seconds: (performance.now() - started) / 1000, text };
}

/** Runs `work` while pinging every 50 ms; the longest wait of a ping, and how many failed. */
async function withPings<T>(
  work: () => Promise<T>,
): Promise<{ result: T; longestMs: number; pings: number; failed: number }> {
  let stop = false;
  let longestMs = 0;
  let pings = 0;
  let failed = 0;
  const pinger = (async () => {
    while (!stop) {
      const started = performance.now();
      try {
        await post("/api/dify/receive", { point: "ping", params: {} });
      } catch {
        failed++;
      }
      longestMs = Math.max(longestMs, performance.now() - started);
      pings++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const result = await work();
  stop = true;
  await pinger;
  return { result, longestMs: Math.round(longestMs), pings, failed };
}

const failedNote = (failed: number) => (failed > 0 ? `, ${failed} failed` : "");

for (const size of sizes.map(Number)) {
  const text = phoneRun(size);
  if (mode === "explain") {
    const once = await post("/api/playground/explain", { point: "app.moderation.output", params: { text } });
    const streamed = await withPings(() =>
      post("/api/playground/explain", {
        point: "app.moderation.output",
        params: { text },
        mode: "streamed",
        buffer_size: 300,
      }),
    );
    const calls = (JSON.parse(streamed.result.text) as { stream?: { calls: unknown[] } }).stream?.calls.length;
    console.log(
      `${size.toLocaleString("en-US")} ch streamed, ${calls} calls: ${streamed.result.seconds.toFixed(2)} s (status ${streamed.result.status}); ` +
        `the whole text once: ${once.seconds.toFixed(2)} s; longest ping wait ${streamed.longestMs} ms (${streamed.pings} pings${failedNote(streamed.failed)})`,
    );
  } else {
    const inputs: Record<string, string> = {};
    for (let at = 0, n = 1; at < size; at += 260_000, n++) inputs[`part${n}`] = text.slice(at, at + 260_000);
    const body = { point: "app.moderation.input", params: { app_id: "a", inputs, query: "" } };
    const one = await post("/api/dify/receive", body);
    const two = await withPings(() => Promise.all([post("/api/dify/receive", body), post("/api/dify/receive", body)]));
    console.log(
      `${size.toLocaleString("en-US")} ch in one input call: ${one.seconds.toFixed(2)} s (status ${one.status}); two at once: ` +
        `${two.result.map((call) => `${call.seconds.toFixed(2)} s`).join(", ")}; longest ping wait ${two.longestMs} ms (${two.pings} pings${failedNote(two.failed)})`,
    );
  }
}
