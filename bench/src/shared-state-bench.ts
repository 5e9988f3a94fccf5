/**
 * The shared-state benchmark (SHARED_STATE_URL, issue 27), with a real redis-server on loopback:
 *
 * 1. Replicas: a 50,000-character streamed answer (Dify's calls, every 300 characters, each on a
 *    new connection) through the composite app with keywords, obscenity and the guard engine
 *    against the fake guard model, behind a small round-robin proxy on loopback: one replica (no
 *    store), three replicas sharing the store, and three without it (today's behaviour), rounds
 *    interleaved. Counted: the model's calls, and the server CPU of the apps (and of the store)
 *    from `/proc/<pid>/stat`.
 * 2. The keyword app's input case under load (autocannon), with and without the store, and with
 *    RATE_LIMIT_RPS set (local bucket vs the shared one), runs alternating.
 * 3. The store killed during a load run on three replicas (and started again): failed calls.
 */
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type FakeGuard, startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { type RedisServer, startRedisServer } from "@dify-ext/test-support/redis-server";
import { appDeployable } from "./deployables.ts";
import { CASES, COMMON_ENV } from "./http.ts";
import { type LoadResult, startLoadGenerator } from "./load.ts";
import { cpuMs, type PinnedProcess, startPinned } from "./processes.ts";
import { median } from "./stats.ts";
import { difyCallOnNewConnection as call, SENTENCES, streamCuts } from "./stream.ts";

const API_KEY = COMMON_ENV.API_KEYS!;
/** The streamed answer's length. */
export const SHARED_ANSWER_CHARS = 50_000;

/** One way of running the composite app, as the replicas benchmark compares them. */
export interface ReplicaScenario {
  id: "one" | "three-shared" | "three-local";
  label: string;
  replicas: number;
  store: boolean;
}

export const REPLICA_SCENARIOS: readonly ReplicaScenario[] = [
  { id: "one", label: "1 replica, no store", replicas: 1, store: false },
  { id: "three-shared", label: "3 replicas, shared store", replicas: 3, store: true },
  { id: "three-local", label: "3 replicas, no store (each its own caches)", replicas: 3, store: false },
];

export interface ReplicaRow {
  scenario: ReplicaScenario["id"];
  label: string;
  /** Calls of one streamed answer. */
  calls: number;
  /** Requests to the guard model per answer (median of the rounds). */
  modelCalls: number;
  /** Server CPU ms of the apps per answer (median). */
  appCpuMs: number;
  /** Server CPU ms of the store per answer (median; 0 without one). */
  storeCpuMs: number;
}

export interface KeywordInputRow {
  variant: string;
  /** Requests/s of each run. */
  runs: number[];
  requestsPerSec: number;
  /** Requests answered per second of the server's own CPU time (median): what a CPU can serve. */
  requestsPerCpuSec: number;
  p99Ms: number;
}

export interface StoreKilledResult {
  requests: number;
  non2xx: number;
  errors: number;
  durationSec: number;
  killedAtSec: number;
  restartedAtSec: number;
  /** Every replica reported the store `up` again after the run. */
  reconnected: boolean;
  /** Replies by status. */
  statusCodes: Record<string, number>;
}

export interface SharedStateBenchResult {
  rounds: number;
  replicas: ReplicaRow[];
  keywordInput: KeywordInputRow[];
  storeKilled?: StoreKilledResult;
  failures: string[];
}

/**
 * A clean answer of `length` characters that shares no guard window with another answer: every
 * sentence carries the answer's id, so each stream starts with a cold verdict cache, as a new
 * answer does.
 */
function uniqueAnswer(length: number, id: number): string {
  let text = "";
  for (let i = 0; text.length < length; i++) text += `${SENTENCES[i % SENTENCES.length]!} (${tag(id)} ${tag(i)}) `;
  return text.slice(0, length);
}

/** A number in letters no engine reads as a word (digits would: `0.455` is leetspeak for `ass`). */
function tag(n: number): string {
  const letters = "bdjkmqvz";
  let out = "";
  do {
    out = letters[n % letters.length]! + out;
    n = Math.floor(n / letters.length);
  } while (n > 0);
  return out;
}

/** A round-robin HTTP proxy on loopback, as a load balancer spreads Dify's calls over replicas. */
async function startRoundRobin(ports: readonly number[]): Promise<{ url: string; close(): Promise<void> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;
  const server: Server = createServer((req, res) => {
    const port = ports[next++ % ports.length]!;
    const upstream = request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers, agent },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end('{"error":{"message":"the proxy could not reach a replica","code":"bad_gateway"}}');
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/dify/receive`,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readyState(process: PinnedProcess): Promise<string | undefined> {
  const response = await fetch(process.receiveUrl.replace("/api/dify/receive", "/readyz"));
  const body = (await response.json()) as { sharedState?: { state?: string } };
  return body.sharedState?.state;
}

/** Runs the three parts; `rounds` rounds of the replicas part, `runs` runs per keyword variant. */
export async function runSharedStateBench(options: {
  rounds: number;
  runs: number;
  durationSec: number;
  connections: number;
  serverCpu: number | undefined;
  loadCpu: number | undefined;
  log: (line: string) => void;
}): Promise<SharedStateBenchResult> {
  const failures: string[] = [];
  const started: PinnedProcess[] = [];
  const result: SharedStateBenchResult = { rounds: options.rounds, replicas: [], keywordInput: [], failures };
  let redis: RedisServer | undefined;
  let guard: FakeGuard | undefined;
  const closers: Array<() => Promise<void>> = [];
  const start = async (name: string, dir: string, env: Record<string, string>) => {
    const server = await startPinned({
      name,
      ...appDeployable(dir),
      env: { ...COMMON_ENV, ...env },
      cpu: options.serverCpu,
    });
    started.push(server);
    return server;
  };
  try {
    redis = await startRedisServer();
    guard = await startFakeGuard();
    const store = { SHARED_STATE_URL: redis.url };
    const composite = {
      MODERATION_ENGINES: "keywords,obscenity,guard",
      GUARD_BASE_URL: guard.url,
      GUARD_MODEL: "llama-guard3:8b",
    };

    // 1. Replicas.
    const scenarios: Array<{ scenario: ReplicaScenario; servers: PinnedProcess[]; url: string }> = [];
    for (const scenario of REPLICA_SCENARIOS) {
      const servers: PinnedProcess[] = [];
      for (let i = 0; i < scenario.replicas; i++) {
        servers.push(
          await start(`${scenario.id}-${i}`, "apps/moderation", { ...composite, ...(scenario.store ? store : {}) }),
        );
      }
      const proxy = await startRoundRobin(servers.map((server) => server.port));
      closers.push(proxy.close);
      scenarios.push({ scenario, servers, url: proxy.url });
    }
    const cuts = streamCuts(SHARED_ANSWER_CHARS);
    let appId = 0;
    const stream = async (url: string) => {
      const text = uniqueAnswer(SHARED_ANSWER_CHARS, appId);
      const id = `shared-bench-${appId++}`;
      for (const cut of cuts) {
        const reply = await call(url, "app.moderation.output", { app_id: id, text: text.slice(0, cut) });
        if (!reply.includes('"flagged":false')) throw new Error(`the benchmark answer was flagged: ${reply}`);
      }
    };
    // Warm-up (and a check that every call passes), not counted.
    for (const { url } of scenarios) await stream(url);
    const samples = new Map<string, { model: number[]; app: number[]; store: number[] }>();
    for (let round = 0; round < options.rounds; round++) {
      for (const { scenario, servers, url } of scenarios) {
        const appsBefore = servers.reduce((sum, server) => sum + cpuMs(server.pid), 0);
        const storeBefore = cpuMs(redis.pid);
        const modelBefore = guard.calls.length;
        await stream(url);
        const sample = samples.get(scenario.id) ?? { model: [], app: [], store: [] };
        sample.model.push(guard.calls.length - modelBefore);
        sample.app.push(servers.reduce((sum, server) => sum + cpuMs(server.pid), 0) - appsBefore);
        sample.store.push(scenario.store ? cpuMs(redis.pid) - storeBefore : 0);
        samples.set(scenario.id, sample);
      }
      // The fake keeps every request it answered: forget them between rounds.
      guard.reset();
      options.log(`shared state: replicas round ${round + 1}/${options.rounds} done`);
    }
    for (const { scenario } of scenarios) {
      const sample = samples.get(scenario.id)!;
      result.replicas.push({
        scenario: scenario.id,
        label: scenario.label,
        calls: cuts.length,
        modelCalls: median(sample.model),
        appCpuMs: median(sample.app),
        storeCpuMs: median(sample.store),
      });
    }
    for (const { servers } of scenarios) for (const server of servers) await server.stop();
    started.length = 0;

    // 2. The keyword app's input case, with and without the store.
    const rate = { RATE_LIMIT_RPS: "1000000" };
    const variants = [
      { variant: "no store", env: {} },
      { variant: "store (SHARED_STATE_URL)", env: store },
      { variant: "no store, RATE_LIMIT_RPS (local bucket)", env: rate },
      { variant: "store, RATE_LIMIT_RPS (shared bucket)", env: { ...store, ...rate } },
    ];
    const keywordServers: PinnedProcess[] = [];
    for (const [index, variant] of variants.entries()) {
      keywordServers.push(await start(`keywords-${index}`, "apps/moderation-keywords", variant.env));
    }
    const generator = startLoadGenerator(options.loadCpu);
    closers.push(() => generator.close());
    const body = JSON.stringify({ point: CASES.input.point, params: CASES.input.params });
    const headers = { "content-type": "application/json", authorization: `Bearer ${API_KEY}` };
    const runs = variants.map(() => [] as LoadResult[]);
    const perCpu = variants.map(() => [] as number[]);
    for (const server of keywordServers) {
      await generator.run({ url: server.receiveUrl, connections: options.connections, durationSec: 1, body, headers });
    }
    for (let run = 0; run < options.runs; run++) {
      // Every other run in reverse order, so no variant always runs in the same place.
      const order = keywordServers.map((server, index) => ({ server, index }));
      if (run % 2 === 1) order.reverse();
      for (const { server, index } of order) {
        const cpuBefore = cpuMs(server.pid);
        const load = await generator.run({
          url: server.receiveUrl,
          connections: options.connections,
          durationSec: options.durationSec,
          body,
          headers,
        });
        if (load.non2xx + load.errors > 0) {
          failures.push(
            `keyword input with ${variants[index]!.variant}: ${load.non2xx} non-2xx, ${load.errors} errors`,
          );
        }
        runs[index]!.push(load);
        perCpu[index]!.push(load.requests / Math.max(0.01, (cpuMs(server.pid) - cpuBefore) / 1000));
      }
      options.log(`shared state: keyword input run ${run + 1}/${options.runs} done`);
    }
    variants.forEach((variant, index) => {
      const loads = runs[index]!;
      result.keywordInput.push({
        variant: variant.variant,
        runs: loads.map((load) => load.requestsPerSec),
        requestsPerSec: median(loads.map((load) => load.requestsPerSec)),
        requestsPerCpuSec: median(perCpu[index]!),
        p99Ms: median(loads.map((load) => load.p99Ms)),
      });
    });
    for (const server of keywordServers) await server.stop();
    started.length = 0;

    // 3. The store killed (SIGKILL) during a load run on three replicas, started again later.
    const replicas: PinnedProcess[] = [];
    for (let i = 0; i < 3; i++)
      replicas.push(await start(`killed-${i}`, "apps/moderation", { ...composite, ...store, ...rate }));
    const proxy = await startRoundRobin(replicas.map((server) => server.port));
    closers.push(proxy.close);
    const durationSec = Math.max(6, options.durationSec * 2);
    const killAt = durationSec / 4;
    const restartAt = durationSec / 2;
    const loadStarted = performance.now();
    const load = generator.run({ url: proxy.url, connections: options.connections, durationSec, body, headers });
    const faults = (async () => {
      await new Promise((resolve) => setTimeout(resolve, killAt * 1000));
      await redis!.kill();
      const killedAt = (performance.now() - loadStarted) / 1000;
      await new Promise((resolve) => setTimeout(resolve, (restartAt - killAt) * 1000));
      await redis!.restart();
      return { killedAt, restartedAt: (performance.now() - loadStarted) / 1000 };
    })();
    const [loaded, times] = await Promise.all([load, faults]);
    let reconnected = false;
    const deadline = Date.now() + 30_000;
    while (!reconnected && Date.now() < deadline) {
      reconnected = (await Promise.all(replicas.map(readyState))).every((state) => state === "up");
      if (!reconnected) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    result.storeKilled = {
      requests: loaded.requests,
      non2xx: loaded.non2xx,
      errors: loaded.errors,
      durationSec: loaded.durationSec,
      killedAtSec: times.killedAt,
      restartedAtSec: times.restartedAt,
      reconnected,
      statusCodes: loaded.statusCodes,
    };
  } catch (error) {
    failures.push(`shared state: ${(error as Error).message}`);
  } finally {
    for (const server of started) await server.stop();
    for (const close of closers) await close().catch(() => {});
    await guard?.close();
    await redis?.stop();
  }
  return result;
}
