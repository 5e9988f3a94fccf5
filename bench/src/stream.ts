/**
 * The streamed-answer benchmark: each moderation app started as a real process (its deployable,
 * pinned like the HTTP benchmark), fed Dify's output-moderation calls for one answer exactly as
 * Dify sends them (the whole answer so far every 300 characters, then the complete answer, each on
 * a new connection), and measured by the server's own CPU time from the kernel's per-process
 * counters (`/proc/<pid>/stat`, utime + stime). The baseline is one call on the complete answer,
 * for an app id the server has not seen (no saved state). Streams and single calls alternate,
 * round after round, so machine drift hits both alike.
 *
 * Then, in-process, the stream cache's memory: heap growth with the cache filled to its default
 * limit by a burst of distinct streamed answers, against the bytes the cache counts.
 */
import { request } from "node:http";
import { createKeywordEngine, createKeywordMatcher } from "@dify-ext/moderation-engines/keywords";
import { createObscenityEngine } from "@dify-ext/moderation-engines/obscenity";
import { createModerationPolicy, createStreamCache, DEFAULT_STREAM_CACHE_BYTES } from "@dify-ext/moderation-engines";
import { appDeployable } from "./deployables.ts";
import { CASES, COMMON_ENV } from "./http.ts";
import { cpuMs, type PinnedProcess, startPinned } from "./processes.ts";

/** Dify's MODERATION_BUFFER_SIZE default: a call each time the answer grew by this many characters. */
const BUFFER = 300;
/** Single calls on the whole answer per round and length (the kernel counts CPU in 10 ms ticks). */
const FULL_CALLS = 10;
/** Pings per round: the CPU floor of one call on a new connection. */
const PING_CALLS = 100;
/** Input-moderation calls per round (the HTTP benchmark's 300-character query + 10 inputs). */
const INPUT_CALLS = 100;
const API_KEY = COMMON_ENV.API_KEYS!;

/** Prose of a Dify answer: English and Japanese sentences, nothing any engine flags. */
export const SENTENCES = [
  "The quarterly report shows steady growth in every region, and the team plans to extend support hours next month.",
  "新しい製品の発売日は来月の初めに決まり、営業チームは準備を進めています。",
  "Customers asked for clearer invoices, so the billing page now lists each item with its tax and delivery date.",
  "会議では市場の動向について話し合い、来週もう一度詳細を確認することになりました。",
  "Please summarise the attached notes in three short paragraphs and suggest a friendly subject line for the email.",
  "庭のトマトは順調に育っていて、週末には近所の人たちと種を交換する予定です。",
  "Our garden club meets on Saturday mornings to plant tomatoes, share seeds and swap tips about watering in summer.",
];

/** A clean answer of exactly `length` characters, varied by `seed` so answers differ. */
export function answer(length: number, seed = 0): string {
  let text = "";
  for (let i = seed; text.length < length; i++) text += `${SENTENCES[i % SENTENCES.length]!} `;
  return text.slice(0, length);
}

/** The lengths of Dify's calls for an answer of `length` characters. */
export function streamCuts(length: number): number[] {
  const cuts: number[] = [];
  for (let cut = BUFFER; cut < length; cut += BUFFER) cuts.push(cut);
  cuts.push(length);
  return cuts;
}

export interface StreamRow {
  app: string;
  chars: number;
  calls: number;
  /** Server CPU ms per streamed answer (every call). */
  streamedMs: number;
  /** Server CPU ms per single call on the complete answer. */
  fullMs: number;
  /** Server CPU ms per ping on a new connection: the floor of any call. */
  pingMs: number;
}

export interface StreamCacheMemory {
  answers: number;
  answerChars: number;
  entries: number;
  countedBytes: number;
  heapGrowthBytes: number;
  maxBytes: number;
}

export interface StreamBenchResult {
  rows: StreamRow[];
  /** Server CPU ms per input-moderation call (300-character query + 10 inputs), by app id. */
  inputMs: Record<string, number>;
  rounds: number;
  rssAfter: Record<string, number>;
  memory?: StreamCacheMemory;
  failures: string[];
}

export const STREAM_APPS = [
  { id: "moderation-keywords", dir: "apps/moderation-keywords", label: "keywords (sample list)" },
  { id: "moderation-obscenity", dir: "apps/moderation-obscenity", label: "obscenity" },
  { id: "moderation", dir: "apps/moderation", label: "composite (keywords + obscenity)" },
] as const;

/** One output-moderation call (or a ping) on a new connection, as Dify makes it; resolves with the reply. */
function call(url: string, appId: string, text: string | null | typeof CASES.input): Promise<string> {
  if (text === null) return difyCallOnNewConnection(url, "ping", {});
  if (typeof text === "object") return difyCallOnNewConnection(url, text.point, text.params);
  return difyCallOnNewConnection(url, "app.moderation.output", { app_id: appId, text });
}

/** One Dify call on a new connection, as Dify makes it; resolves with the reply, rejects on a non-200. */
export function difyCallOnNewConnection(url: string, point: string, params: unknown): Promise<string> {
  const body = JSON.stringify({ point, params });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${API_KEY}`,
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        let reply = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          reply += chunk;
        });
        res.on("end", () =>
          res.statusCode === 200 ? resolve(reply) : reject(new Error(`HTTP ${res.statusCode}: ${reply}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const CLEAN_REPLY = /"flagged":false/;

/** Runs the streamed-answer benchmark on the apps, `rounds` rounds (each: every stream and every single call). */
export async function runStreamBench(options: {
  /** Ids of the apps to run (those of {@link STREAM_APPS} among them). */
  apps: readonly string[];
  serverCpu: number | undefined;
  rounds: number;
  lengths: readonly number[];
  log: (line: string) => void;
}): Promise<StreamBenchResult> {
  const failures: string[] = [];
  const servers: Array<{ app: (typeof STREAM_APPS)[number]; server: PinnedProcess }> = [];
  const rows: StreamRow[] = [];
  const rssAfter: Record<string, number> = {};
  const inputMs: Record<string, number> = {};
  try {
    for (const app of STREAM_APPS.filter((a) => options.apps.includes(a.id))) {
      servers.push({
        app,
        server: await startPinned({
          name: app.id,
          ...appDeployable(app.dir),
          env: { ...COMMON_ENV },
          cpu: options.serverCpu,
        }),
      });
    }
    const texts = new Map(options.lengths.map((length) => [length, answer(length)]));
    // Warm-up and check: every call of every stream must pass (the texts are clean).
    for (const { server } of servers) {
      for (const [length, text] of texts) {
        for (const cut of streamCuts(length)) {
          const reply = await call(server.receiveUrl, "warm-up", text.slice(0, cut));
          if (!CLEAN_REPLY.test(reply)) throw new Error(`${server.name} flagged the benchmark answer: ${reply}`);
        }
      }
    }
    const totals = new Map<string, { streamed: number; full: number }>();
    const pings = new Map<string, number>();
    const inputs = new Map<string, number>();
    let id = 0;
    for (let round = 0; round < options.rounds; round++) {
      for (const { app, server } of servers) {
        const before = cpuMs(server.pid);
        for (let i = 0; i < PING_CALLS; i++) await call(server.receiveUrl, "", null);
        pings.set(app.id, (pings.get(app.id) ?? 0) + cpuMs(server.pid) - before);
        const beforeInputs = cpuMs(server.pid);
        for (let i = 0; i < INPUT_CALLS; i++) await call(server.receiveUrl, "", CASES.input);
        inputs.set(app.id, (inputs.get(app.id) ?? 0) + cpuMs(server.pid) - beforeInputs);
        for (const [length, text] of texts) {
          const key = `${app.id}:${length}`;
          const total = totals.get(key) ?? { streamed: 0, full: 0 };
          let before = cpuMs(server.pid);
          const appId = `stream-${id++}`;
          for (const cut of streamCuts(length)) await call(server.receiveUrl, appId, text.slice(0, cut));
          total.streamed += cpuMs(server.pid) - before;
          before = cpuMs(server.pid);
          for (let i = 0; i < FULL_CALLS; i++) await call(server.receiveUrl, `full-${id++}`, text);
          total.full += (cpuMs(server.pid) - before) / FULL_CALLS;
          totals.set(key, total);
        }
      }
      options.log(`round ${round + 1}/${options.rounds} done`);
    }
    for (const { app, server } of servers) {
      rssAfter[app.id] = server.rss();
      inputMs[app.id] = inputs.get(app.id)! / INPUT_CALLS / options.rounds;
      for (const length of options.lengths) {
        const total = totals.get(`${app.id}:${length}`)!;
        rows.push({
          app: app.label,
          chars: length,
          calls: streamCuts(length).length,
          streamedMs: total.streamed / options.rounds,
          fullMs: total.full / options.rounds,
          pingMs: pings.get(app.id)! / PING_CALLS / options.rounds,
        });
      }
    }
  } catch (error) {
    failures.push(`streamed answers: ${(error as Error).message}`);
  } finally {
    for (const { server } of servers) await server.stop();
  }
  return { rows, inputMs, rounds: options.rounds, rssAfter, failures };
}

/**
 * Heap growth of a stream cache at its default limit, filled by a burst of distinct streamed
 * answers judged through the policy (keywords + obscenity), against the bytes the cache counts.
 * Needs `--expose-gc` for a stable figure (without it the growth is a rough upper bound).
 */
export async function measureStreamCacheMemory(answers: number, answerChars: number): Promise<StreamCacheMemory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const engines = [
    createKeywordEngine({ matcher: createKeywordMatcher({ lists: [{ name: "l", terms: ["blocked term", "禁止"] }] }) }),
    createObscenityEngine(),
  ];
  const streamCache = createStreamCache({ maxBytes: DEFAULT_STREAM_CACHE_BYTES });
  const point = { action: "mask", presetResponse: "Withheld.", onEngineError: "open" } as const;
  const policy = createModerationPolicy({ engines, input: point, output: point, streamCache });
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < answers; i++) {
    // Distinct answers: a number at the start makes each text (and key) its own.
    const text = `${i}. ${answer(answerChars, i)}`;
    for (const cut of streamCuts(text.length))
      await policy.moderateOutput({ app_id: `app-${i % 50}`, text: text.slice(0, cut) });
  }
  gc?.();
  const after = process.memoryUsage().heapUsed;
  const stats = streamCache.stats();
  return {
    answers,
    answerChars,
    entries: stats.entries,
    countedBytes: stats.bytes,
    heapGrowthBytes: after - before,
    maxBytes: stats.maxBytes,
  };
}
