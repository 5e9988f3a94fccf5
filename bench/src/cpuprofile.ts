/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, and self and
 * inclusive time per area (a package, a workspace package, a Node core module), optionally only
 * for samples inside a time window.
 *
 *   node --import tsx src/cpuprofile.ts <file.cpuprofile> [top=15]
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
/** The JSON of a `.cpuprofile` file. Times in microseconds of the system's monotonic clock. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  /** Area and file:line. */
  where: string;
  area: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  selfShare: number;
}

export interface AreaTime {
  area: string;
  selfShare: number;
  /** Share of busy samples with this area anywhere on the stack. */
  inclusiveShare: number;
}

export interface ProfileSummary {
  /** Wall time covered by the samples summarised, ms. */
  sampledMs: number;
  /** Time not idle, ms. */
  busyMs: number;
  top: FunctionTime[];
  areas: AreaTime[];
}

const PNPM_PACKAGE = /\/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//;
const NODE_MODULES_PACKAGE = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//;
const WORKSPACE = /\/(packages|apps|bench)\/([^/]+)?\/?(.*)$/;

/** Which part of the system a frame belongs to: `pino`, `@dify-ext/receive`, `node:http`, `V8/GC`… */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(idle)") return "(idle)";
    if (functionName === "(program)") return "(program: V8 and native)";
    if (functionName === "(root)") return "(root)";
    return "native (V8 built-ins, Node bindings)";
  }
  if (url.startsWith("node:")) {
    const path = url.slice(5).replace(/^internal\//, "");
    const first = path.split("/")[0]!;
    if (/^_?http|^http/.test(first)) return "node:http";
    if (first === "streams" || first.startsWith("_stream") || first === "stream") return "node:streams";
    if (first === "net" || first === "stream_base_commons" || first === "dns") return "node:net";
    if (first === "modules" || first === "vm") return "node:modules (loading)";
    return `node:${first.replace(/\.js$/, "")}`;
  }
  const pkg = PNPM_PACKAGE.exec(url) ?? NODE_MODULES_PACKAGE.exec(url);
  if (pkg) return pkg[1]!;
  const workspace = WORKSPACE.exec(url);
  if (workspace) return workspace[1] === "bench" ? "bench" : `@dify-ext/${workspace[2]}`;
  return url.replace(/^file:\/\//, "");
}

function fileOf(url: string): string {
  const clean = url.replace(/^file:\/\//, "");
  const pkg = PNPM_PACKAGE.exec(clean) ?? NODE_MODULES_PACKAGE.exec(clean);
  if (pkg) return clean.slice(pkg.index + pkg[0].length);
  const workspace = WORKSPACE.exec(clean);
  if (workspace) return workspace[3] ?? clean;
  return clean.startsWith("node:") ? clean.slice(5) : clean;
}

/**
 * Summarises `profile`. With `window` (`[fromUs, toUs]` on the profile's clock), only samples
 * taken inside it count.
 */
export function summariseCpuProfile(
  profile: CpuProfile,
  options: { window?: [number, number]; top?: number } = {},
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<number, number>();
  let time = profile.startTime;
  let sampled = 0;
  const [from, to] = options.window ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    // A sample stands for the interval up to the next one.
    const next = i + 1 < profile.samples.length ? time + (profile.timeDeltas[i + 1] ?? 0) : profile.endTime;
    const dt = Math.max(0, next - time);
    if (time < from || time >= to) continue;
    sampled += dt;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + dt);
  }

  const functions = new Map<string, FunctionTime>();
  const areaSelf = new Map<string, number>();
  const areaInclusive = new Map<string, number>();
  let idle = 0;
  for (const [id, dt] of self) {
    const frame = byId.get(id)!.callFrame;
    const area = areaOf(frame);
    if (area === "(idle)") {
      idle += dt;
      continue;
    }
    const name = frame.functionName || "(anonymous)";
    // Code compiled by tsx reports line 0 for everything: show the file only.
    const where = frame.url ? `${fileOf(frame.url)}${frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : ""}` : "";
    const key = `${name}\0${area}\0${where}`;
    const entry = functions.get(key) ?? { name, where, area, selfMs: 0, selfShare: 0 };
    entry.selfMs += dt / 1000;
    functions.set(key, entry);
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + dt);
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const nodeArea = areaOf(byId.get(node)!.callFrame);
      if (nodeArea === "(root)" || seen.has(nodeArea)) continue;
      seen.add(nodeArea);
      areaInclusive.set(nodeArea, (areaInclusive.get(nodeArea) ?? 0) + dt);
    }
  }
  const busy = sampled - idle;
  const share = (us: number) => (busy > 0 ? us / busy : 0);
  const top = [...functions.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, options.top ?? 15)
    .map((f) => ({ ...f, selfShare: share(f.selfMs * 1000) }));
  const areas = [...areaInclusive.keys()]
    .map((area) => ({
      area,
      selfShare: share(areaSelf.get(area) ?? 0),
      inclusiveShare: share(areaInclusive.get(area) ?? 0),
    }))
    .sort((a, b) => b.selfShare - a.selfShare || b.inclusiveShare - a.inclusiveShare);
  return { sampledMs: sampled / 1000, busyMs: busy / 1000, top, areas };
}

/**
 * Markdown tables of a summary. With `requests` (served while the samples were taken), each row
 * also shows its CPU time per request in microseconds.
 */
export function profileTables(
  summary: ProfileSummary,
  options: { requests?: number; topAreas?: number; functions?: boolean } = {},
): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const perRequest = options.requests
    ? (share: number) => ` ${((share * summary.busyMs * 1000) / options.requests!).toFixed(1)} |`
    : () => "";
  const head = options.requests ? " µs / request |" : "";
  const lines: string[] = [];
  if (options.functions ?? true) {
    lines.push(
      `| self |${head} function | where |`,
      `| ---: |${options.requests ? " ---: |" : ""} --- | --- |`,
      ...summary.top.map(
        (f) =>
          `| ${pct(f.selfShare)} |${perRequest(f.selfShare)} \`${f.name}\` | ${f.area}${f.where ? ` \`${f.where}\`` : ""} |`,
      ),
      "",
    );
  }
  lines.push(
    `| area | self |${head} inclusive |`,
    `| --- | ---: |${options.requests ? " ---: |" : ""} ---: |`,
    ...summary.areas
      .slice(0, options.topAreas ?? 12)
      .map((a) => `| ${a.area} | ${pct(a.selfShare)} |${perRequest(a.selfShare)} ${pct(a.inclusiveShare)} |`),
  );
  return lines.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: cpuprofile.ts <file.cpuprofile> [top]");
    process.exit(2);
  }
  const summary = summariseCpuProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, {
    top: Number(process.argv[3] ?? 15),
  });
  console.log(`${summary.busyMs.toFixed(0)} ms busy of ${summary.sampledMs.toFixed(0)} ms sampled\n`);
  console.log(profileTables(summary, { topAreas: 20 }));
}
