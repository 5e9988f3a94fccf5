/** Command-line options of `pnpm bench`. */
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { APPS, type AppSpec, REPO_ROOT } from "./http.ts";

export const PARTS = ["http", "engines", "memory", "profile", "stream", "shared"] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  quick: boolean;
  parts: Set<Part>;
  apps: AppSpec[];
  /** The app list was given on the command line (a missing app is then a failure, not a skip). */
  appsExplicit: boolean;
  connections: number[];
  durationSec: number;
  runs: number;
  warmupSec: number;
  listSizes: number[];
  engineBudgetMs: number;
  packages: boolean;
  largeListTerms: number;
  profileSec: number;
  /** Rounds of the streamed-answer benchmark (each: every app's streams and single calls). */
  streamRounds: number;
  /** Rounds of the shared-state benchmark's replicas part (each: one streamed answer per scenario). */
  sharedRounds: number;
  /** Where the report goes (`null`: not written). */
  out: string | null;
  /** Where the raw results go as JSON (`null`: not written). */
  json: string | null;
  notes: string[];
  /** Exit with 1 when a target fails (not only when the run fails). */
  strict: boolean;
  /** The arguments as given, for the report. */
  argv: string[];
}

export const USAGE = `usage: pnpm bench [options]

Benchmarks every app over HTTP against the bare Koa stack and a plain node:http baseline (same run,
alternating runs),
the engines in-process, and memory; prints the tables and writes docs/performance.md.

  --quick               seconds-long smoke run: 1 s per case, 1 run, lists up to 10,000 terms
  --duration <s>        seconds per load run (default 5; quick 1)
  --runs <n>            runs per server, case and connection count; the median is reported (default 3; quick 1)
  --warmup <s>          unrecorded load before each server's first run of a case (default 1; quick 0)
  --connections <list>  connection counts (default 32,1)
  --apps <list>         apps to load: ${APPS.map((a) => a.id).join(", ")} (default all)
  --only <list>         parts to run: ${PARTS.join(", ")} (default all)
  --lists <list>        keyword list sizes for the engine benchmark (default 100,1000,10000,100000; quick 100,10000)
  --large-list <n>      terms of the list file the keyword app loads for the memory figure (default 100000)
  --no-packages         skip the Aho-Corasick package comparison (its builds take ~10 s at 100,000 terms)
  --profile-duration <s> seconds of load per profiled case (default 5; quick 1)
  --stream-rounds <n>   rounds of the streamed-answer benchmark: each replays Dify's calls for a 10,000- and a
                        50,000-character answer and makes one call on each whole answer, per app (default 5; quick 1)
  --shared-rounds <n>   rounds of the shared-state benchmark (SHARED_STATE_URL, a real redis-server): each streams a
                        50,000-character answer through 1 replica, 3 sharing the store and 3 without (default 3; quick 1)
  --out <file>          where the report goes (default docs/performance.md)
  --no-write            print only
  --json <file>         also write the raw results as JSON
  --note <text>         add a note to the machine notes (repeatable)
  --strict              exit 1 when a target fails, not only when the run fails
  --help`;

function list(value: string, name: string): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error(`${name}: expected a comma-separated list`);
  return items;
}

function positive(value: string | undefined, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${name}: expected a positive ${integer ? "integer" : "number"}, got "${value}"`);
  }
  return n;
}

/** Parses the arguments; throws an Error naming the bad option. Returns `null` for `--help`. */
export function parseBenchArgs(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: "boolean", default: false },
      duration: { type: "string" },
      runs: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      apps: { type: "string" },
      only: { type: "string" },
      lists: { type: "string" },
      "large-list": { type: "string" },
      "no-packages": { type: "boolean", default: false },
      "profile-duration": { type: "string" },
      "stream-rounds": { type: "string" },
      "shared-rounds": { type: "string" },
      out: { type: "string" },
      "no-write": { type: "boolean", default: false },
      json: { type: "string" },
      note: { type: "string", multiple: true },
      strict: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return null;
  const quick = values.quick;

  const parts = new Set<Part>();
  for (const part of values.only ? list(values.only, "--only") : PARTS) {
    if (!(PARTS as readonly string[]).includes(part))
      throw new Error(`--only: unknown part "${part}" (expected ${PARTS.join(", ")})`);
    parts.add(part as Part);
  }
  const apps: AppSpec[] = [];
  for (const id of values.apps ? list(values.apps, "--apps") : APPS.map((a) => a.id)) {
    const spec = APPS.find((a) => a.id === id);
    if (!spec) throw new Error(`--apps: unknown app "${id}" (expected ${APPS.map((a) => a.id).join(", ")})`);
    if (!apps.includes(spec)) apps.push(spec);
  }
  const connections = values.connections
    ? list(values.connections, "--connections").map((c) => positive(c, "--connections", true)!)
    : [32, 1];
  const listSizes = values.lists
    ? list(values.lists, "--lists").map((n) => positive(n, "--lists", true)!)
    : quick
      ? [100, 10_000]
      : [100, 1000, 10_000, 100_000];
  const warmup = values.warmup === undefined ? undefined : Number(values.warmup);
  if (warmup !== undefined && !(Number.isFinite(warmup) && warmup >= 0))
    throw new Error(`--warmup: expected seconds >= 0, got "${values.warmup}"`);
  const toPath = (p: string) => (isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p));

  return {
    quick,
    parts,
    apps,
    appsExplicit: values.apps !== undefined,
    connections,
    durationSec: positive(values.duration, "--duration", false) ?? (quick ? 1 : 5),
    runs: positive(values.runs, "--runs", true) ?? (quick ? 1 : 3),
    warmupSec: warmup ?? (quick ? 0 : 1),
    listSizes: [...new Set(listSizes)].sort((a, b) => a - b),
    engineBudgetMs: quick ? 30 : 300,
    packages: !values["no-packages"],
    largeListTerms: positive(values["large-list"], "--large-list", true) ?? 100_000,
    profileSec: positive(values["profile-duration"], "--profile-duration", false) ?? (quick ? 1 : 5),
    streamRounds: positive(values["stream-rounds"], "--stream-rounds", true) ?? (quick ? 1 : 5),
    sharedRounds: positive(values["shared-rounds"], "--shared-rounds", true) ?? (quick ? 1 : 3),
    out: values["no-write"] ? null : toPath(values.out ?? resolve(REPO_ROOT, "docs/performance.md")),
    json: values.json ? toPath(values.json) : null,
    notes: values.note ?? [],
    strict: values.strict,
    argv,
  };
}
