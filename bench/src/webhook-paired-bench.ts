/**
 * Issue 25, measured so that the machine's other load cancels out: the keyword app with every
 * input call a shadow verdict, without and with a webhook receiver that answers after 5 s, both
 * pinned to the same CPU and loaded at the same time (two load generators on the other CPU), so
 * whatever else runs on the machine slows both alike. Each round reports the ratio of the two
 * servers' requests/s, p99 and server CPU per request; the medians are the figures.
 * (`pnpm bench --only http --apps moderation-keywords+shadow,moderation-keywords+shadow+webhook`
 * measures the same pair one after the other, as the rest of the HTTP benchmark does.)
 *
 *   cd bench && pnpm exec tsx src/webhook-paired-bench.ts [rounds] [seconds] [--control] [--queue <events>]
 *
 * `--control` runs two servers without a webhook (the method's own noise: its ratios should be
 * 1); `--queue` sets MODERATION_WEBHOOK_QUEUE_MAX of the webhook side.
 */
import { loadavg } from "node:os";
import { startFakeWebhookReceiver } from "@dify-ext/test-support/fake-webhook-receiver";
import { appDeployable } from "./deployables.ts";
import { APPS, CASES, COMMON_ENV, SHADOW_ID, WEBHOOK_DELAY_MS, WEBHOOK_ID } from "./http.ts";
import { type LoadResult, startLoadGenerator } from "./load.ts";
import { readFileSync } from "node:fs";
import { cpuMs, startPinned } from "./processes.ts";
import { median } from "./stats.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.indexOf(name);
const control = flag("--control") !== -1;
const queue = flag("--queue") === -1 ? undefined : args[flag("--queue") + 1];
const numbers = args.filter((arg, index) => /^\d+$/.test(arg) && args[index - 1] !== "--queue");
const rounds = Number(numbers[0] ?? 9);
const seconds = Number(numbers[1] ?? 5);
const CONNECTIONS = 32;

const receiver = await startFakeWebhookReceiver({ fallback: { status: 200, delayMs: WEBHOOK_DELAY_MS } });
const upstreams = { webhook: receiver } as unknown as Parameters<(typeof APPS)[number]["env"]>[0];
const spec = (id: string) => APPS.find((app) => app.id === id)!;
const start = (id: string) =>
  startPinned({
    name: id,
    ...appDeployable(spec(id).dir),
    env: { ...COMMON_ENV, ...spec(id).env(upstreams), ...(queue && { MODERATION_WEBHOOK_QUEUE_MAX: queue }) },
    cpu: 0,
  });
const plain = await start(SHADOW_ID);
const hooked = await start(control ? SHADOW_ID : WEBHOOK_ID);
const generators = [startLoadGenerator(1), startLoadGenerator(1)];
const body = JSON.stringify({ point: CASES.input.point, params: CASES.input.params });
const headers = { "content-type": "application/json", authorization: `Bearer ${COMMON_ENV.API_KEYS}` };

/** User and system CPU time of a process in ms (stat(5) fields 14 and 15). */
function userSystemMs(pid: number): [number, number] {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return [Number(fields[11]) * 10, Number(fields[12]) * 10];
}

async function round(durationSec: number) {
  const split = [userSystemMs(plain.pid), userSystemMs(hooked.pid)];
  const before = [cpuMs(plain.pid), cpuMs(hooked.pid)];
  const [a, b] = (await Promise.all([
    generators[0]!.run({ url: plain.receiveUrl, connections: CONNECTIONS, durationSec, body, headers }),
    generators[1]!.run({ url: hooked.receiveUrl, connections: CONNECTIONS, durationSec, body, headers }),
  ])) as [LoadResult, LoadResult];
  const cpu = [cpuMs(plain.pid) - before[0]!, cpuMs(hooked.pid) - before[1]!];
  const after = [userSystemMs(plain.pid), userSystemMs(hooked.pid)];
  const perRequest = (i: number, part: 0 | 1, requests: number) =>
    ((after[i]![part] - split[i]![part]) * 1000) / requests;
  for (const result of [a, b]) if (result.non2xx + result.errors > 0) throw new Error("a request failed");
  return {
    rps: b.requestsPerSec / a.requestsPerSec,
    p99: b.p99Ms / a.p99Ms,
    cpu: cpu[1]! / b.requests / (cpu[0]! / a.requests),
    user: [perRequest(0, 0, a.requests), perRequest(1, 0, b.requests)],
    system: [perRequest(0, 1, a.requests), perRequest(1, 1, b.requests)],
    a,
    b,
  };
}

console.error(
  `load average at start: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(", ")}`,
);
await round(2); // warm-up: JIT, and the webhook queue filling up
const results = [];
for (let r = 0; r < rounds; r++) {
  const result = await round(seconds);
  results.push(result);
  console.error(
    `round ${r + 1}: ${result.a.requestsPerSec.toFixed(0)} vs ${result.b.requestsPerSec.toFixed(0)} req/s (×${result.rps.toFixed(3)}), ` +
      `p99 ${result.a.p99Ms.toFixed(1)} vs ${result.b.p99Ms.toFixed(1)} ms (×${result.p99.toFixed(3)}), CPU/request ×${result.cpu.toFixed(3)} ` +
      `(user ${result.user[0]!.toFixed(0)} vs ${result.user[1]!.toFixed(0)} µs, system ${result.system[0]!.toFixed(0)} vs ${result.system[1]!.toFixed(0)} µs)`,
  );
}
const range = (values: number[]) => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
const rps = results.map((r) => r.rps);
const p99 = results.map((r) => r.p99);
const cpu = results.map((r) => r.cpu);
console.log(
  `${control ? "control: no webhook on either side" : `webhook receiver answering after ${WEBHOOK_DELAY_MS / 1000} s vs none`}${queue ? ` (queue ${queue})` : ""}, ${CASES.input.label}, ${CONNECTIONS} connections each, ` +
    `both loaded at once on one CPU, ${rounds} rounds of ${seconds} s: requests/s ×${median(rps).toFixed(3)} (range ${range(rps)}), ` +
    `p99 ×${median(p99).toFixed(3)} (range ${range(p99)}), server CPU per request ×${median(cpu).toFixed(3)} (range ${range(cpu)})`,
);
console.error(
  `load average at end: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(", ")}`,
);
for (const generator of generators) await generator.close();
await plain.stop();
await hooked.stop();
await receiver.close();
