/**
 * Engine benchmarks, in-process: the keyword engine at several list sizes (build time, memory,
 * time per call), obscenity on the same texts, the cost of judging an answer the way Dify streams
 * it, and the raw search of the Aho-Corasick packages (from the keyword benchmark,
 * `keyword-bench.ts`) at the largest list size.
 *
 * Runs in its own process (`engines-worker.ts`, started by `runEngineBenchProcess`) with
 * `--expose-gc`, so heap growth is measured after a collection and nothing else shares the heap.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createModerationPolicy, createStreamCache, type ModerationEngine } from "@dify-ext/moderation-engines";
import { createKeywordEngine, createKeywordMatcher, normalizeForMatching } from "@dify-ext/moderation-engines/keywords";
import { correctness, heapMb, loadCandidates } from "./keyword-bench.ts";
import { generateTerms } from "./synthetic.ts";
import { createObscenityEngine } from "@dify-ext/moderation-engines/obscenity";
import { scrub, syntheticText, withTerms } from "./texts.ts";
import { track } from "./children.ts";

export interface EngineBenchOptions {
  /** Keyword list sizes, ascending; the largest is used for streaming and the package comparison. */
  listSizes: number[];
  /** Time spent measuring each figure (after a warm-up), in ms. */
  budgetMs: number;
  /** Compare the Aho-Corasick packages (their builds take seconds at 100,000 terms). */
  packages: boolean;
}

/** The texts every engine is timed on. */
export const TEXT_CASES = [
  "300 no match",
  "300 matches",
  "3000 no match",
  "3000 matches",
  "3000 ASCII no match",
] as const;
export type TextCase = (typeof TEXT_CASES)[number];

export interface KeywordRow {
  terms: number;
  buildMs: number;
  /** Heap (+ external) growth after a GC, MB; `null` without `--expose-gc`. */
  heapMb: number | null;
  /** Bytes held by the automaton's arrays, MB. */
  arraysMb: number;
  msPerCall: Record<TextCase, number>;
  findings: Record<TextCase, number>;
}

export interface EngineTimes {
  msPerCall: Record<TextCase, number>;
  findings: Record<TextCase, number>;
}

export interface StreamRow {
  engine: string;
  /** One call on the whole answer. */
  singleMs: number;
  /** Every call Dify makes while the answer streams (growing prefixes, then the whole answer). */
  streamMs: number;
  calls: number;
  charsJudged: number;
}

export interface PackageRow {
  name: string;
  check: string;
  buildMs: number | null;
  /** Raw search of the normalised 3,000-character texts, ms per call. */
  msPerCall: Partial<Record<"3000 no match" | "3000 matches" | "3000 ASCII no match", number>>;
  error?: string;
}

export interface EngineBenchResult {
  gcExposed: boolean;
  listSizes: number[];
  keywords: KeywordRow[];
  obscenity: EngineTimes;
  streaming: { answerLength: number; step: number; rows: StreamRow[] };
  packages: { terms: number; rows: PackageRow[] };
}

/** The three 3,000-character texts the packages are compared on. */
export const PACKAGE_TEXTS = ["3000 no match", "3000 matches", "3000 ASCII no match"] as const;

const ANSWER_LENGTH = 10_000;
const STREAM_STEP = 300;
/** English profanity the obscenity engine must flag (its "with matches" texts). */
const PROFANE = ["fuck", "shit", "bitch", "asshole", "bastard"];

/** Median ms per call of `fn` (sync or async), from batches of about a millisecond, after a warm-up. */
export async function msPerCall(fn: () => unknown, budgetMs: number): Promise<number> {
  const call = async () => {
    const result = fn();
    if (result instanceof Promise) await result;
  };
  const warmUntil = performance.now() + Math.max(5, budgetMs / 5);
  let warm = 0;
  while (warm < 3 || performance.now() < warmUntil) {
    await call();
    warm++;
  }
  const t0 = performance.now();
  await call();
  const batch = Math.max(1, Math.min(1000, Math.round(1 / Math.max(performance.now() - t0, 1e-4))));
  const samples: number[] = [];
  const until = performance.now() + budgetMs;
  while (samples.length < 3 || performance.now() < until) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) await call();
    samples.push((performance.now() - start) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const input = { point: "input" as const };

async function timeEngine(
  engine: ModerationEngine,
  texts: Record<TextCase, string>,
  budgetMs: number,
): Promise<EngineTimes> {
  const times = {} as Record<TextCase, number>;
  const findings = {} as Record<TextCase, number>;
  for (const name of TEXT_CASES) {
    const text = texts[name];
    const [verdict] = await engine.moderate([text], input);
    findings[name] = verdict!.findings.length;
    times[name] = await msPerCall(() => engine.moderate([text], input), budgetMs);
  }
  return { msPerCall: times, findings };
}

/** Dify's calls for one streamed answer: every 300 characters the whole text so far, then the whole answer. */
export function streamedCalls(answer: string, step = STREAM_STEP): string[] {
  const calls: string[] = [];
  for (let length = step; length < answer.length; length += step) calls.push(answer.slice(0, length));
  calls.push(answer);
  return calls;
}

/** Runs every engine benchmark in this process. */
export async function runEngineBench(options: EngineBenchOptions): Promise<EngineBenchResult> {
  const sizes = [...options.listSizes].sort((a, b) => a - b);
  const largest = sizes.at(-1)!;
  const allTerms = generateTerms(largest);
  const termsFor = (n: number) => allTerms.slice(0, n);
  const obscenity = createObscenityEngine();

  // Texts: synthetic, then scrubbed until neither the largest list nor obscenity finds anything.
  const scrubber = createKeywordMatcher({ lists: [{ name: "bench", terms: allTerms }], match: "word" });
  const clean = (text: string) =>
    scrub(text, [(t) => scrubber.find(t), async (t) => (await obscenity.moderate([t], input))[0]!.findings]);
  const listed = termsFor(100);
  const short = await clean(syntheticText(300, 11));
  const long = await clean(syntheticText(3000, 12));
  const keywordTexts: Record<TextCase, string> = {
    "300 no match": short,
    "300 matches": withTerms(short, listed, 2),
    "3000 no match": long,
    "3000 matches": withTerms(long, listed, 20),
    "3000 ASCII no match": await clean(syntheticText(3000, 13, false)),
  };
  const obscenityTexts: Record<TextCase, string> = {
    ...keywordTexts,
    "300 matches": withTerms(short, PROFANE, 2),
    "3000 matches": withTerms(long, PROFANE, 20),
  };
  const answer = await clean(syntheticText(ANSWER_LENGTH, 14));

  const keywords: KeywordRow[] = [];
  let largestEngine: ModerationEngine | undefined;
  for (const size of sizes) {
    const terms = termsFor(size);
    const before = heapMb();
    const t0 = performance.now();
    const matcher = createKeywordMatcher({ lists: [{ name: "bench", terms }], match: "word" });
    const buildMs = performance.now() - t0;
    const heap = gcExposed() ? heapMb() - before : null;
    const engine = createKeywordEngine({ matcher });
    const times = await timeEngine(engine, keywordTexts, options.budgetMs);
    keywords.push({ terms: size, buildMs, heapMb: heap, arraysMb: matcher.stats.bytes / 1048576, ...times });
    if (size === largest) largestEngine = engine;
  }
  assertFindings("keywords", keywords.at(-1)!.findings, keywords[0]!.findings);
  const obscenityTimes = await timeEngine(obscenity, obscenityTexts, options.budgetMs);
  assertFindings("obscenity", obscenityTimes.findings, obscenityTimes.findings);

  const policy = createModerationPolicy({
    engines: [largestEngine!, obscenity],
    input: { action: "block", presetResponse: "Blocked.", onEngineError: "open" },
    output: { action: "mask", presetResponse: "Blocked.", onEngineError: "open" },
  });
  const cachedPolicy = createModerationPolicy({
    engines: [largestEngine!, obscenity],
    input: { action: "block", presetResponse: "Blocked.", onEngineError: "open" },
    output: { action: "mask", presetResponse: "Blocked.", onEngineError: "open" },
    streamCache: createStreamCache(),
  });
  // A new answer (a new app id, so nothing is saved for it) whenever a text is not longer than the last.
  let answerId = 0;
  let lastLength = Number.POSITIVE_INFINITY;
  const judgeStreamed = (text: string) => {
    if (text.length <= lastLength) answerId++;
    lastLength = text.length;
    return cachedPolicy.moderateOutput({ app_id: `bench-${answerId}`, text });
  };
  const calls = streamedCalls(answer);
  const streamSubjects: Array<[string, (text: string) => Promise<unknown>]> = [
    [
      `keywords (${largest.toLocaleString("en-US")} terms)`,
      (text) => largestEngine!.moderate([text], { point: "output" }),
    ],
    ["obscenity", (text) => obscenity.moderate([text], { point: "output" })],
    [
      `policy: keywords (${largest.toLocaleString("en-US")}) + obscenity, mask`,
      (text) => policy.moderateOutput({ app_id: "bench", text }),
    ],
    ["the same policy with the stream cache (incremental)", judgeStreamed],
  ];
  const rows: StreamRow[] = [];
  for (const [engine, judge] of streamSubjects) {
    const singleMs = await msPerCall(() => judge(answer), options.budgetMs);
    const streamMs = await msPerCall(async () => {
      for (const text of calls) await judge(text);
    }, options.budgetMs * 2);
    rows.push({
      engine,
      singleMs,
      streamMs,
      calls: calls.length,
      charsJudged: calls.reduce((sum, text) => sum + text.length, 0),
    });
  }

  const packages: PackageRow[] = [];
  if (options.packages) {
    const normalizedTerms = allTerms.map(normalizeForMatching);
    for (const candidate of await loadCandidates()) {
      const row: PackageRow = { name: candidate.name, check: correctness(candidate), buildMs: null, msPerCall: {} };
      try {
        const t0 = performance.now();
        const search = candidate.build(normalizedTerms);
        row.buildMs = performance.now() - t0;
        for (const name of PACKAGE_TEXTS) {
          const normalized = normalizeForMatching(keywordTexts[name]);
          row.msPerCall[name] = await msPerCall(() => search(normalized), options.budgetMs);
        }
      } catch (error) {
        row.error = (error as Error).message;
      }
      packages.push(row);
      heapMb();
    }
  }

  return {
    gcExposed: gcExposed(),
    listSizes: sizes,
    keywords,
    obscenity: obscenityTimes,
    streaming: { answerLength: ANSWER_LENGTH, step: STREAM_STEP, rows },
    packages: { terms: largest, rows: packages },
  };
}

function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === "function";
}

function assertFindings(engine: string, largest: Record<TextCase, number>, smallest: Record<TextCase, number>) {
  for (const name of TEXT_CASES) {
    const expectMatches = name.includes("matches");
    for (const findings of [largest, smallest]) {
      if (expectMatches ? findings[name] === 0 : findings[name] !== 0) {
        throw new Error(`${engine}: the "${name}" text has ${findings[name]} findings; the benchmark texts are wrong`);
      }
    }
  }
}

const WORKER = fileURLToPath(new URL("./engines-worker.ts", import.meta.url));

/** The command that runs the engine benchmarks, for the report. */
export function engineBenchCommand(cpu: number | undefined): string[] {
  const node = [process.execPath, "--expose-gc", "--import", "tsx", WORKER];
  return cpu === undefined ? node : ["taskset", "-c", String(cpu), ...node];
}

/** Runs {@link runEngineBench} in a child process (pinned to `cpu` when given, with `--expose-gc`). */
export function runEngineBenchProcess(
  options: EngineBenchOptions,
  cpu: number | undefined,
): Promise<EngineBenchResult> {
  const [command, ...args] = engineBenchCommand(cpu);
  return new Promise((resolve, reject) => {
    const child = track(spawn(command!, [...args, JSON.stringify(options)], { stdio: ["ignore", "pipe", "pipe"] }));
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", (error) => reject(new Error(`engine benchmark could not start: ${error.message}`)));
    child.once("close", (code, signal) => {
      const line = stdout.trim().split("\n").pop();
      if (code !== 0 || !line) {
        reject(new Error(`engine benchmark failed (${signal ?? `exit code ${code}`}): ${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line) as EngineBenchResult);
    });
  });
}
