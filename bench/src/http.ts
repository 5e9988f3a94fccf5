/**
 * The HTTP benchmark: every app started as a real process pinned to one CPU, the load generator
 * (autocannon) in its own process on the other CPU, and in the same run two baselines answering
 * the same requests with the same replies: the bare Koa stack the apps are built on, and plain
 * `node:http` as the limit. Runs of the baselines and the apps alternate, so noise from the machine
 * hits them alike.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Point, difyReplyProblems } from "@dify-ext/protocol";
import { type FakeOpenMeteo, startFakeOpenMeteo } from "@dify-ext/test-support/fake-open-meteo";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { type FakeWebhookReceiver, startFakeWebhookReceiver } from "@dify-ext/test-support/fake-webhook-receiver";
import { type LoadGenerator, type LoadResult, startLoadGenerator } from "./load.ts";
import { appDeployable, baselineDeployable } from "./deployables.ts";
import { cpuMs, type PinnedProcess, startPinned } from "./processes.ts";
import { median } from "./stats.ts";
import { prose, tenInputs } from "./texts.ts";

/** The repository root (bench/ is one level down). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The bearer key every server under test accepts. */
const API_KEY = "bench-key-0123456789";
const OPENAI_KEY = "sk-bench-0123456789";

/** The requests the benchmark sends. */
export const CASES = {
  ping: { label: "ping", point: "ping", params: {} },
  input: {
    label: "input: 300-char query + 10 inputs",
    point: "app.moderation.input",
    params: { app_id: "bench-app", inputs: tenInputs(), query: prose(300, { chinese: false }) },
  },
  output: {
    label: "output: 3,000-char text",
    point: "app.moderation.output",
    params: { app_id: "bench-app", text: prose(3000) },
  },
  weather: {
    label: "weather tool, warm cache",
    point: "app.external_data_tool.query",
    params: {
      app_id: "bench-app",
      tool_variable: "weather",
      inputs: { location: "Berlin" },
      query: "Do I need an umbrella today?",
    },
  },
} as const satisfies Record<string, { label: string; point: Point; params: unknown }>;

export type CaseId = keyof typeof CASES;

export interface Upstreams {
  openai: FakeOpenAI;
  openMeteo: FakeOpenMeteo;
  /** A verdict-webhook receiver that answers every POST after {@link WEBHOOK_DELAY_MS}. */
  webhook: FakeWebhookReceiver;
}

/** An app of the repository, how to configure it for the benchmark, and what it serves. */
export interface AppSpec {
  id: string;
  /** Folder under the repository root. */
  dir: string;
  cases: CaseId[];
  /** Cases whose replies/s and p99 are held to the targets. */
  targetCases: CaseId[];
  env(upstreams: Upstreams): Record<string, string>;
  /** What the benchmark's setup means for this app, for the report. */
  setup: string;
}

/** The keyword app with a policy file of {@link POLICY_APPS} apps. */
export const POLICY_APPS_ID = "moderation-keywords+1000-apps";
export const POLICY_APPS = 1000;

/** Writes a policy file of `apps` apps (one of them `bench-app`, the id the cases send), each its own section. */
function writePolicyFile(apps: number): string {
  const lines = ["version: bench", "apps:"];
  for (let i = 0; i < apps - 1; i++) lines.push(`  app-${String(i).padStart(4, "0")}: { input: { action: block } }`);
  lines.push("  bench-app: { input: { action: block } }");
  const file = join(mkdtempSync(join(tmpdir(), "dify-ext-bench-policy-")), "policy.yaml");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** The keyword app judging every input call as a shadow verdict (recorded, answered "not flagged"), without a webhook. */
export const SHADOW_ID = "moderation-keywords+shadow";
/** The same, sending each verdict to a webhook receiver that answers after {@link WEBHOOK_DELAY_MS}. */
export const WEBHOOK_ID = "moderation-keywords+shadow+webhook";
/** How long the benchmark's webhook receiver takes to answer (issue 25: a slow receiver never slows a verdict). */
export const WEBHOOK_DELAY_MS = 5_000;
const WEBHOOK_SECRET = "bench-webhook-secret-0123456789";

let shadowFiles: { list: string; policy: string } | undefined;
/**
 * A list whose term is in the input case's query, of a custom category the policy shadows: every
 * input call is judged, recorded (audit line, metrics, webhook event) and answered "not flagged",
 * the same reply as every other app's.
 */
function writeShadowFiles(): { list: string; policy: string } {
  if (shadowFiles) return shadowFiles;
  const dir = mkdtempSync(join(tmpdir(), "dify-ext-bench-shadow-"));
  const list = join(dir, "bench.txt");
  const policy = join(dir, "policy.yaml");
  writeFileSync(list, "# category: custom.bench\nquarterly\n");
  writeFileSync(policy, "version: bench-shadow\ndefault:\n  input: { categories: { custom.bench: shadow } }\n");
  shadowFiles = { list, policy };
  return shadowFiles;
}

const shadowEnv = () => {
  const { list, policy } = writeShadowFiles();
  return { KEYWORDS_FILES: list, MODERATION_POLICY_FILE: policy };
};

export const APPS: readonly AppSpec[] = [
  {
    id: "moderation-keywords",
    dir: "apps/moderation-keywords",
    cases: ["ping", "input", "output"],
    targetCases: ["ping", "input"],
    env: () => ({}),
    setup: "bundled sample list",
  },
  {
    // The same app and list with a policy file of 1,000 apps, the benchmark's app_id among them:
    // choosing a call's policy must cost the same whatever the number of apps (issue 14).
    id: POLICY_APPS_ID,
    dir: "apps/moderation-keywords",
    cases: ["ping", "input", "output"],
    targetCases: ["ping", "input"],
    env: () => ({ MODERATION_POLICY_FILE: writePolicyFile(POLICY_APPS) }),
    setup: "bundled sample list, a policy file of 1,000 apps (bench-app among them)",
  },
  {
    // Prompt-injection rules on every text of the call (issue 24: >= 0.8x the keyword app's input case).
    id: "moderation-injection",
    dir: "apps/moderation-injection",
    cases: ["ping", "input", "output"],
    targetCases: ["ping"],
    env: () => ({}),
    setup: "shipped rules",
  },
  {
    // Every call a shadow verdict, without and with a webhook receiver that answers after 5 s: the
    // receiver must cost the verdicts nothing (issue 25). Held to that target against each other.
    id: SHADOW_ID,
    dir: "apps/moderation-keywords",
    cases: ["input"],
    targetCases: [],
    env: shadowEnv,
    setup: "a one-term list matching the input query, its category in shadow: every call a shadow verdict",
  },
  {
    id: WEBHOOK_ID,
    dir: "apps/moderation-keywords",
    cases: ["input"],
    targetCases: [],
    env: ({ webhook }) => ({
      ...shadowEnv(),
      MODERATION_WEBHOOK_URL: webhook.url,
      MODERATION_WEBHOOK_SECRET: WEBHOOK_SECRET,
    }),
    setup: `as ${SHADOW_ID}, each verdict sent to a webhook receiver that answers after ${WEBHOOK_DELAY_MS / 1000} s`,
  },
  {
    id: "moderation-obscenity",
    dir: "apps/moderation-obscenity",
    cases: ["ping", "input", "output"],
    targetCases: ["ping"],
    env: () => ({}),
    setup: "English dataset",
  },
  {
    id: "moderation-openai",
    dir: "apps/moderation-openai",
    cases: ["ping", "input", "output"],
    targetCases: ["ping"],
    env: ({ openai }) => ({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai.url }),
    setup: "fake OpenAI on loopback, warm cache",
  },
  {
    id: "moderation",
    dir: "apps/moderation",
    cases: ["ping", "input", "output"],
    // The input case is held back by obscenity's cost, which the streamed-answers issue takes on.
    targetCases: ["ping"],
    env: () => ({}),
    setup: "default engines (keywords + obscenity)",
  },
  {
    id: "weather",
    dir: "apps/weather",
    cases: ["ping", "weather"],
    targetCases: ["ping"],
    env: ({ openMeteo }) => ({ OPEN_METEO_GEOCODING_URL: openMeteo.url, OPEN_METEO_FORECAST_URL: openMeteo.url }),
    setup: "fake Open-Meteo on loopback, warm cache",
  },
];

export interface HttpBenchOptions {
  apps: readonly AppSpec[];
  connections: number[];
  durationSec: number;
  runs: number;
  /** Unrecorded load before the first run of each server and case. */
  warmupSec: number;
  serverCpu: number | undefined;
  loadCpu: number | undefined;
  log: (line: string) => void;
}

/**
 * The figures of one server on one case at one connection count: the throughput and latencies are
 * the medians of its runs; non2xx, errors and mismatches are totals over every run.
 */
export interface HttpCell
  extends Pick<LoadResult, "requestsPerSec" | "p50Ms" | "p99Ms" | "non2xx" | "errors" | "mismatches"> {
  server: string;
  caseId: CaseId;
  connections: number;
  runs: LoadResult[];
  /**
   * Server CPU time per answered request (µs, median over the runs): what the machine's other load
   * disturbs least, beside the rates it disturbs most. 0 for a server whose CPU time cannot be read.
   */
  cpuUsPerRequest: number;
}

export interface AppMemory {
  app: string;
  idleRss: number;
  afterRss: number;
  /** Access-log bytes written per request during the run. */
  logBytesPerRequest: number;
}

export interface HttpBenchResult {
  cells: HttpCell[];
  memory: AppMemory[];
  /** Upstream calls made while load ran (should be 0: caches are warm). */
  upstreamCallsUnderLoad: { openai: number; openMeteo: number };
  failures: string[];
  /** Apps not run, and why. */
  skipped: string[];
  /** Environment shared by every app. */
  commonEnv: Record<string, string>;
  /** What the webhook app's metrics said after the load: events delivered and dropped, POSTs made. */
  webhook?: { delivered: number; dropped: Record<string, number>; deliveriesReceived: number };
}

/** The production-like settings every app runs with. */
export const COMMON_ENV: Record<string, string> = {
  NODE_ENV: "production",
  LOG_LEVEL: "info",
  API_KEYS: API_KEY,
  HOST: "127.0.0.1",
  PORT: "0",
};

/** Plain `node:http`: the limit, reported beside the stack. */
export const BASELINE = "baseline";
/** The bare stack every app is built on (Koa 3, @koa/router, koa-bodyparser): the baseline that matters. */
export const STACK = "koa-stack";
/** Both baselines, in report order. */
export const BASELINES: readonly string[] = [BASELINE, STACK];

const requestBody = (caseId: CaseId) => JSON.stringify({ point: CASES[caseId].point, params: CASES[caseId].params });
const HEADERS = { "content-type": "application/json", authorization: `Bearer ${API_KEY}` };

/** Sends one request of a case and checks the reply as Dify would; returns the reply text. */
async function probe(server: PinnedProcess, caseId: CaseId): Promise<string> {
  const response = await fetch(server.receiveUrl, { method: "POST", headers: HEADERS, body: requestBody(caseId) });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(
      `${server.name} answered ${CASES[caseId].label} with HTTP ${response.status}: ${text.slice(0, 200)}`,
    );
  const problems = difyReplyProblems(CASES[caseId].point, JSON.parse(text), CASES[caseId].params);
  if (problems.length > 0)
    throw new Error(`Dify would refuse ${server.name}'s reply to ${CASES[caseId].label}: ${problems.join("; ")}`);
  return text;
}

/** The fake upstreams the apps talk to in the benchmark, on loopback. */
export async function startUpstreams(): Promise<Upstreams> {
  return {
    openai: await startFakeOpenAI({ apiKey: OPENAI_KEY }),
    openMeteo: await startFakeOpenMeteo(),
    webhook: await startFakeWebhookReceiver({ fallback: { status: 200, delayMs: WEBHOOK_DELAY_MS } }),
  };
}

/** Runs the HTTP benchmark. Failures (a server not starting, a non-200) are collected, not thrown. */
export async function runHttpBench(options: HttpBenchOptions): Promise<HttpBenchResult> {
  const { log } = options;
  const failures: string[] = [];
  const skipped: string[] = [];
  const cells: HttpCell[] = [];
  const memory: AppMemory[] = [];
  const upstreams = await startUpstreams();
  let webhook: HttpBenchResult["webhook"];
  const running: Array<{ spec: AppSpec; server: PinnedProcess }> = [];
  const baselines: PinnedProcess[] = [];
  const upstreamCalls = () =>
    upstreams.openai.calls.length + upstreams.openMeteo.calls.geocoding + upstreams.openMeteo.calls.forecast;
  let upstreamCallsUnderLoad = { openai: 0, openMeteo: 0 };
  let loader: LoadGenerator | undefined;

  try {
    for (const spec of options.apps) {
      if (!existsSync(join(REPO_ROOT, spec.dir, "src/main.ts"))) {
        skipped.push(`${spec.id}: ${spec.dir}/src/main.ts does not exist`);
        continue;
      }
      try {
        const server = await startPinned({
          name: spec.id,
          ...appDeployable(spec.dir),
          env: { ...COMMON_ENV, ...spec.env(upstreams) },
          cpu: options.serverCpu,
        });
        running.push({ spec, server });
      } catch (error) {
        failures.push(`${spec.id} did not start: ${(error as Error).message}`);
      }
    }
    if (running.length === 0)
      return { cells, memory, upstreamCallsUnderLoad, failures, skipped, commonEnv: COMMON_ENV };
    await sleep(1000);
    const idle = new Map(running.map(({ server }) => [server.name, server.rss()]));

    // Probe every case (this also warms the OpenAI and weather caches) and collect the replies the
    // baseline must give. Every app must give the same reply to the same request.
    const replies = new Map<CaseId, { text: string; from: string }>();
    const serving = new Map<CaseId, PinnedProcess[]>();
    for (const { spec, server } of running) {
      for (const caseId of spec.cases) {
        try {
          await probe(server, caseId);
          const text = await probe(server, caseId);
          const known = replies.get(caseId);
          if (known && known.text !== text) {
            throw new Error(
              `${server.name} replied ${text} to ${CASES[caseId].label} but ${known.from} replied ${known.text}: the benchmark texts must pass every engine`,
            );
          }
          replies.set(caseId, { text, from: server.name });
          serving.set(caseId, [...(serving.get(caseId) ?? []), server]);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    }
    const pointReplies: Record<string, string> = {};
    for (const [caseId, { text }] of replies) pointReplies[CASES[caseId].point] = text;
    for (const [name, kind] of [
      [BASELINE, "node"],
      [STACK, "koa"],
    ] as const) {
      const baseline = await startPinned({
        name,
        ...(await baselineDeployable(kind)),
        env: { ...COMMON_ENV, BASELINE_REPLIES: JSON.stringify(pointReplies) },
        cpu: options.serverCpu,
      });
      baselines.push(baseline);
      for (const caseId of replies.keys()) await probe(baseline, caseId);
    }
    loader = startLoadGenerator(options.loadCpu);
    const generator = loader;

    const logBytesBefore = new Map(running.map(({ server }) => [server.name, server.outputBytes()]));
    const requestsServed = new Map<string, number>();
    const callsBefore = {
      openai: upstreams.openai.calls.length,
      openMeteo: upstreamCalls() - upstreams.openai.calls.length,
    };
    for (const [caseId, apps] of serving) {
      const servers = [...baselines, ...apps];
      for (const connections of options.connections) {
        const spec = {
          connections,
          durationSec: options.durationSec,
          body: requestBody(caseId),
          headers: HEADERS,
          expectBody: replies.get(caseId)!.text,
        };
        if (options.warmupSec > 0) {
          for (const server of servers)
            await generator.run({ ...spec, url: server.receiveUrl, durationSec: options.warmupSec });
        }
        const results = new Map<string, LoadResult[]>(servers.map((s) => [s.name, []]));
        const cpu = new Map<string, number[]>(servers.map((s) => [s.name, []]));
        for (let run = 0; run < options.runs; run++) {
          for (const server of servers) {
            const before = cpuMs(server.pid);
            const result = await generator.run({ ...spec, url: server.receiveUrl });
            const answered = result.requests + result.non2xx;
            if (answered > 0) cpu.get(server.name)!.push(((cpuMs(server.pid) - before) * 1000) / answered);
            results.get(server.name)!.push(result);
            requestsServed.set(server.name, (requestsServed.get(server.name) ?? 0) + result.requests + result.non2xx);
          }
        }
        for (const server of servers) {
          const cell = summarise(server.name, caseId, connections, results.get(server.name)!, cpu.get(server.name)!);
          cells.push(cell);
          log(
            `${server.name.padEnd(22)} ${CASES[caseId].label.padEnd(34)} c=${String(connections).padEnd(3)} ${cell.requestsPerSec.toFixed(0).padStart(6)} req/s  p50 ${cell.p50Ms.toFixed(2)} ms  p99 ${cell.p99Ms.toFixed(2)} ms  cpu ${cell.cpuUsPerRequest.toFixed(0)} µs/req${cell.non2xx + cell.errors + cell.mismatches > 0 ? `  FAILED: ${cell.non2xx} non-2xx, ${cell.errors} errors, ${cell.mismatches} wrong bodies` : ""}`,
          );
          if (cell.non2xx + cell.errors + cell.mismatches > 0) {
            const codes = Object.entries(
              cell.runs.reduce<Record<string, number>>((all, r) => {
                for (const [code, n] of Object.entries(r.statusCodes)) all[code] = (all[code] ?? 0) + n;
                return all;
              }, {}),
            )
              .map(([code, n]) => `${code}×${n}`)
              .join(", ");
            failures.push(
              `${server.name}, ${CASES[caseId].label}, ${connections} connections: ${cell.non2xx} non-2xx (status codes ${codes}), ${cell.errors} connection errors/timeouts, ${cell.mismatches} replies with another body`,
            );
          }
        }
      }
    }
    const hooked = running.find(({ spec }) => spec.id === WEBHOOK_ID);
    if (hooked)
      webhook = { ...(await webhookCounts(hooked.server)), deliveriesReceived: upstreams.webhook.deliveries.length };
    upstreamCallsUnderLoad = {
      openai: upstreams.openai.calls.length - callsBefore.openai,
      openMeteo: upstreamCalls() - upstreams.openai.calls.length - callsBefore.openMeteo,
    };
    for (const { server } of running) {
      const served = requestsServed.get(server.name) ?? 0;
      memory.push({
        app: server.name,
        idleRss: idle.get(server.name) ?? 0,
        afterRss: server.rss(),
        logBytesPerRequest: served > 0 ? (server.outputBytes() - (logBytesBefore.get(server.name) ?? 0)) / served : 0,
      });
    }
  } catch (error) {
    failures.push((error as Error).message);
  } finally {
    await loader?.close();
    for (const server of [...baselines, ...running.map((r) => r.server)]) {
      const code = await server.stop();
      if (code !== 0)
        failures.push(`${server.name} exited with code ${code} on SIGTERM:\n${server.tail().slice(-10).join("\n")}`);
    }
    await upstreams.openai.close();
    await upstreams.openMeteo.close();
    await upstreams.webhook.close();
  }
  return {
    cells,
    memory,
    upstreamCallsUnderLoad,
    failures,
    skipped,
    commonEnv: COMMON_ENV,
    ...(webhook && { webhook }),
  };
}

/** The webhook app's event counts, read from its own `/metrics`. */
async function webhookCounts(server: PinnedProcess): Promise<{ delivered: number; dropped: Record<string, number> }> {
  const response = await fetch(server.receiveUrl.replace("/api/dify/receive", "/metrics"), {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  const text = await response.text();
  let delivered = 0;
  const dropped: Record<string, number> = {};
  for (const match of text.matchAll(/^dify_ext_webhook_events_total\{([^}]*)\} (\d+)/gm)) {
    const labels = match[1]!;
    const count = Number(match[2]);
    if (labels.includes('outcome="delivered"')) delivered += count;
    else {
      const reason = /reason="([^"]*)"/.exec(labels)?.[1] ?? "?";
      dropped[reason] = (dropped[reason] ?? 0) + count;
    }
  }
  return { delivered, dropped };
}

function summarise(server: string, caseId: CaseId, connections: number, runs: LoadResult[], cpuUs: number[]): HttpCell {
  const sum = (pick: (r: LoadResult) => number) => runs.reduce((total, r) => total + pick(r), 0);
  return {
    server,
    caseId,
    connections,
    runs,
    requestsPerSec: median(runs.map((r) => r.requestsPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuUsPerRequest: cpuUs.length > 0 ? median(cpuUs) : 0,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    mismatches: sum((r) => r.mismatches),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
