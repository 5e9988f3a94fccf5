/**
 * Two servers compared so that the machine's other load cancels out: both pinned to the same CPU
 * and loaded at the same time (one load generator each, on the other CPU), so whatever else runs
 * on the machine slows both alike. Each round gives the ratio of B to A in requests/s, p99 and
 * server CPU per request; the medians are the figures. (`pnpm bench` measures servers one after
 * the other, which a busy shared machine disturbs far more.)
 *
 *   cd bench && pnpm exec tsx src/paired.ts <a> <b> [--case ping|input|output] [--rounds 9] [--seconds 5]
 *
 * A server is an app of the HTTP benchmark (`moderation-keywords`, `moderation-injection`, …: the
 * ids of `APPS` in http.ts), `koa` (the bare Koa stack the apps are built on) or `node` (plain
 * node:http). `<app>@<dir>` builds the app from another checkout of this repository (installed,
 * e.g. a `git worktree` of an older commit), to compare a change's before and after:
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && pnpm install --offline)
 *   cd bench && pnpm exec tsx src/paired.ts moderation-keywords@/tmp/before moderation-keywords --case input
 *
 * The same server twice (`moderation-keywords moderation-keywords`) measures the method's own
 * noise: its ratios should be 1.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { appDeployable, type BaselineKind, baselineDeployable } from "./deployables.ts";
import { APPS, CASES, type CaseId, COMMON_ENV, startUpstreams, type Upstreams } from "./http.ts";
import { type LoadResult, startLoadGenerator } from "./load.ts";
import { cpuMs, type PinnedProcess, startPinned } from "./processes.ts";
import { median } from "./stats.ts";

const CONNECTIONS = 32;

/** User and system CPU time of a process in ms (stat(5) fields 14 and 15). */
function userSystemMs(pid: number): [number, number] {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return [Number(fields[11]) * 10, Number(fields[12]) * 10];
}

export interface PairedRound {
  /** B ÷ A. */
  rps: number;
  p99: number;
  cpu: number;
  /** µs of user and system CPU per request, [A, B]. */
  user: [number, number];
  system: [number, number];
  a: LoadResult;
  b: LoadResult;
}

export interface PairedSummary {
  rounds: PairedRound[];
  /** Medians of the rounds' ratios (B ÷ A). */
  rps: number;
  p99: number;
  cpu: number;
  /** One line: the medians and their ranges. */
  line: string;
}

/**
 * Loads `a` and `b` at once with the same request, a warm-up round of 2 s and then `rounds` rounds
 * of `seconds`, printing each round to stderr. Fails on any non-2xx answer or error.
 */
export async function runPaired(options: {
  a: PinnedProcess;
  b: PinnedProcess;
  point: string;
  params: unknown;
  rounds: number;
  seconds: number;
}): Promise<PairedSummary> {
  const { a: serverA, b: serverB } = options;
  const generators = [startLoadGenerator(1), startLoadGenerator(1)];
  const body = JSON.stringify({ point: options.point, params: options.params });
  const headers = { "content-type": "application/json", authorization: `Bearer ${COMMON_ENV.API_KEYS}` };
  const round = async (durationSec: number): Promise<PairedRound> => {
    const split = [userSystemMs(serverA.pid), userSystemMs(serverB.pid)];
    const before = [cpuMs(serverA.pid), cpuMs(serverB.pid)];
    const [a, b] = (await Promise.all([
      generators[0]!.run({ url: serverA.receiveUrl, connections: CONNECTIONS, durationSec, body, headers }),
      generators[1]!.run({ url: serverB.receiveUrl, connections: CONNECTIONS, durationSec, body, headers }),
    ])) as [LoadResult, LoadResult];
    const cpu = [cpuMs(serverA.pid) - before[0]!, cpuMs(serverB.pid) - before[1]!];
    const after = [userSystemMs(serverA.pid), userSystemMs(serverB.pid)];
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
  };
  try {
    await round(2); // warm-up: JIT, caches, queues
    const rounds: PairedRound[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const result = await round(options.seconds);
      rounds.push(result);
      console.error(
        `round ${r + 1}: ${result.a.requestsPerSec.toFixed(0)} vs ${result.b.requestsPerSec.toFixed(0)} req/s (×${result.rps.toFixed(3)}), ` +
          `p99 ${result.a.p99Ms.toFixed(1)} vs ${result.b.p99Ms.toFixed(1)} ms (×${result.p99.toFixed(3)}), CPU/request ×${result.cpu.toFixed(3)} ` +
          `(user ${result.user[0]!.toFixed(0)} vs ${result.user[1]!.toFixed(0)} µs, system ${result.system[0]!.toFixed(0)} vs ${result.system[1]!.toFixed(0)} µs)`,
      );
    }
    const range = (values: number[]) => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
    const [rps, p99, cpu] = [rounds.map((r) => r.rps), rounds.map((r) => r.p99), rounds.map((r) => r.cpu)];
    return {
      rounds,
      rps: median(rps),
      p99: median(p99),
      cpu: median(cpu),
      line:
        `both loaded at once on one CPU, ${CONNECTIONS} connections each, ${options.rounds} rounds of ${options.seconds} s: ` +
        `requests/s ×${median(rps).toFixed(3)} (range ${range(rps)}), p99 ×${median(p99).toFixed(3)} (range ${range(p99)}), ` +
        `server CPU per request ×${median(cpu).toFixed(3)} (range ${range(cpu)})`,
    };
  } finally {
    for (const generator of generators) await generator.close();
  }
}

/** Starts a server named as the command line names it (`<app>`, `<app>@<dir>`, `koa`, `node`) on CPU 0. */
export async function startNamed(
  name: string,
  upstreams: Upstreams,
  extraEnv: Record<string, string> = {},
): Promise<PinnedProcess> {
  if (name === "koa" || name === "node") {
    const deployable = await baselineDeployable(name as BaselineKind);
    return startPinned({ name, ...deployable, env: { ...COMMON_ENV }, cpu: 0 });
  }
  const [id, repo] = name.split("@") as [string, string | undefined];
  const spec = APPS.find((app) => app.id === id);
  if (!spec)
    throw new Error(`unknown server ${name}: expected koa, node or one of ${APPS.map((a) => a.id).join(", ")}`);
  return startPinned({
    name,
    ...appDeployable(spec.dir, repo),
    env: { ...COMMON_ENV, ...spec.env(upstreams), ...extraEnv },
    cpu: 0,
  });
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      case: { type: "string", default: "input" },
      rounds: { type: "string", default: "9" },
      seconds: { type: "string", default: "5" },
    },
  });
  if (positionals.length !== 2)
    throw new Error("usage: paired.ts <a> <b> [--case ping|input|output] [--rounds n] [--seconds s]");
  const caseId = values.case as CaseId;
  const chosen = CASES[caseId];
  if (!chosen) throw new Error(`--case: expected one of ${Object.keys(CASES).join(", ")}`);
  const upstreams = await startUpstreams();
  const a = await startNamed(positionals[0]!, upstreams);
  const b = await startNamed(positionals[1]!, upstreams);
  console.error(
    `load average at start: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(", ")}`,
  );
  try {
    const summary = await runPaired({
      a,
      b,
      point: chosen.point,
      params: chosen.params,
      rounds: Number(values.rounds),
      seconds: Number(values.seconds),
    });
    console.log(`${positionals[1]} ÷ ${positionals[0]}, ${chosen.label}, ${summary.line}`);
  } finally {
    console.error(
      `load average at end: ${loadavg()
        .map((v) => v.toFixed(2))
        .join(", ")}`,
    );
    await a.stop();
    await b.stop();
    await Promise.all([upstreams.openai.close(), upstreams.openMeteo.close(), upstreams.webhook.close()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
