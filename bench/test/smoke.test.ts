// Smoke test of the benchmark harness (quick mode, real processes on loopback). It checks that
// the harness measures and reports, never how fast anything is: the machine running tests is shared.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CpuProfile, summariseCpuProfile } from "../src/cpuprofile.ts";
import { killChildren } from "../src/children.ts";
import { BASELINE, STACK } from "../src/http.ts";
import { type LoadGenerator, startLoadGenerator } from "../src/load.ts";
import { parseBenchArgs } from "../src/options.ts";
import { type PinnedProcess, startPinned } from "../src/processes.ts";
import { renderReport } from "../src/report.ts";
import { runBench } from "../src/suite.ts";

const benchDir = fileURLToPath(new URL("..", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bench-test-"));
});
afterAll(async () => {
  // A run that outlived its test (a hang guard fired) leaves no servers behind.
  killChildren();
  await rm(dir, { recursive: true, force: true });
});

describe("the quick benchmark", () => {
  it("measures two apps against both baselines, the engines, memory and a profile, with every reply valid", async () => {
    const options = parseBenchArgs([
      "--quick",
      "--duration",
      "0.5",
      "--apps",
      "moderation-keywords,moderation-openai",
      "--lists",
      "100,1000",
      "--large-list",
      "10000",
      "--profile-duration",
      "0.5",
      "--no-write",
    ])!;
    const result = await runBench(options);
    expect(result.failures).toEqual([]);

    const http = result.http!;
    const servers = [BASELINE, STACK, "moderation-keywords", "moderation-openai"];
    for (const caseId of ["ping", "input", "output"] as const) {
      for (const connections of [32, 1]) {
        for (const server of servers) {
          const cell = http.cells.find(
            (c) => c.server === server && c.caseId === caseId && c.connections === connections,
          );
          expect(cell, `${server} ${caseId} ${connections}`).toBeDefined();
          expect(cell!.runs).toHaveLength(1);
          expect(cell!.runs[0]!.requests).toBeGreaterThan(0);
          expect([cell!.non2xx, cell!.errors, cell!.mismatches]).toEqual([0, 0, 0]);
          expect(cell!.p50Ms).toBeGreaterThan(0);
          expect(cell!.p99Ms).toBeGreaterThanOrEqual(cell!.p50Ms);
        }
      }
    }
    expect(http.cells.some((c) => c.caseId === "weather")).toBe(false);
    expect(http.upstreamCallsUnderLoad.openai).toBe(0);
    expect(http.memory.map((m) => m.app).sort()).toEqual(["moderation-keywords", "moderation-openai"]);
    for (const m of http.memory) {
      expect(m.idleRss).toBeGreaterThan(10 * 1024 * 1024);
      expect(m.logBytesPerRequest).toBeGreaterThan(50);
    }

    const engines = result.engines!;
    expect(engines.gcExposed).toBe(true);
    expect(engines.keywords.map((k) => k.terms)).toEqual([100, 1000]);
    for (const row of engines.keywords) {
      expect(row.findings).toEqual({
        "300 no match": 0,
        "300 matches": 2,
        "3000 no match": 0,
        "3000 matches": 20,
        "3000 ASCII no match": 0,
      });
      expect(Object.values(row.msPerCall).every((v) => v > 0)).toBe(true);
    }
    expect(engines.obscenity.findings["3000 matches"]).toBeGreaterThanOrEqual(20);
    expect(engines.streaming.rows.map((r) => r.calls)).toEqual([34, 34, 34, 34]);

    // Streamed answers: only the apps asked for; Dify's 34 and 167 calls; every reply clean.
    const stream = result.stream!;
    expect(stream.rows.map((r) => [r.app, r.chars, r.calls])).toEqual([
      ["keywords (sample list)", 10_000, 34],
      ["keywords (sample list)", 50_000, 167],
    ]);
    expect(stream.rows.every((r) => r.streamedMs > 0)).toBe(true);
    expect(stream.memory?.entries).toBeGreaterThan(0);
    expect(engines.packages.rows.map((r) => r.check)).toEqual(["ok", "ok", "ok", "ok"]);

    expect(result.memory).toMatchObject({ terms: 10_000, flagsListedTerm: true });
    expect(result.memory!.largeRss).toBeGreaterThan(0);
    expect(result.memory!.appBuildMs).toBeGreaterThanOrEqual(0);

    const profile = result.profile!;
    expect(profile.servers.map((s) => [s.server, s.note, s.cases.map((c) => c.caseId)])).toEqual([
      ["moderation-keywords", undefined, ["ping", "input"]],
      [BASELINE, undefined, ["ping", "input"]],
    ]);
    for (const server of profile.servers) {
      for (const c of server.cases) {
        expect(c.requests).toBeGreaterThan(0);
        expect(c.summary.busyMs).toBeGreaterThan(0);
        expect(c.summary.busyMs).toBeLessThanOrEqual(c.summary.sampledMs);
        // The window is the load's, not the process's life: start-up is not in it.
        expect(c.summary.sampledMs).toBeLessThan(2000);
      }
    }
    for (const c of profile.servers[0]!.cases) {
      expect(c.summary.top.length).toBeGreaterThan(5);
      expect(c.summary.areas.map((a) => a.area)).toContain("@dify-ext/receive");
    }

    // Every kind of target is evaluated (pass or fail is not the test's business).
    const targets = result.targets.map((t) => t.target).join("\n");
    expect(targets).toMatch(/moderation-keywords, ping, 32 connections: requests\/s vs the Koa stack/);
    expect(targets).toMatch(/moderation-keywords, input: .*p99 vs the Koa stack/);
    expect(targets).toMatch(/moderation-openai, ping/);
    expect(targets).not.toMatch(/moderation-openai, input/);
    expect(targets).toMatch(/1,000 vs 100 terms/);
    expect(targets).toMatch(/fastest package raw search/);

    const report = renderReport(result);
    for (const heading of [
      "## Machine and run",
      "## Targets",
      "### 32 connections",
      "### 1 connection",
      "## Memory",
      "### Keyword engine",
      "## Where the time goes",
    ]) {
      expect(report).toContain(heading);
    }
    expect(report).toContain("Run: **valid**");
    expect(report).toMatch(/\| ping \| moderation-keywords \| \d+ \| \d+\.\d\d \|/);
    expect(report).toMatch(/`nproc`: \d+/);
    // A hang guard, not a speed check: idle, the quick run takes about a minute; beside two other
    // full test runs on two cores it took 156–176 s, so the guard is far above that.
  }, 600_000);
});

describe("the load generator", () => {
  let baseline: PinnedProcess;
  let generator: LoadGenerator;
  beforeAll(async () => {
    generator = startLoadGenerator(undefined);
    baseline = await startPinned({
      name: "baseline",
      cwd: benchDir,
      entry: "src/baseline-server.ts",
      env: { API_KEYS: "right-key-12345", BASELINE_REPLIES: JSON.stringify({ ping: '{"result":"pong"}' }) },
      cpu: undefined,
    });
  });
  afterAll(async () => {
    await generator.close();
    expect(await baseline.stop()).toBe(0);
  });

  const load = (key: string, expectBody: string) =>
    generator.run({
      url: baseline.receiveUrl,
      connections: 2,
      durationSec: 0.3,
      body: '{"point":"ping","params":{}}',
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      expectBody,
    });

  it("counts replies other than 2xx", async () => {
    const result = await load("wrong-key-12345", '{"result":"pong"}');
    expect(result.requests).toBe(0);
    expect(result.non2xx).toBeGreaterThan(0);
    expect(result.statusCodes["401"]).toBe(result.non2xx);
  }, 30_000);

  it("counts 200 replies with another body", async () => {
    const result = await load("right-key-12345", '{"result":"PONG"}');
    expect(result.mismatches).toBeGreaterThan(0);
    const ok = await load("right-key-12345", '{"result":"pong"}');
    expect([ok.mismatches, ok.non2xx, ok.errors]).toEqual([0, 0, 0]);
    expect(ok.requests).toBeGreaterThan(0);
    expect(ok.p99Ms).toBeGreaterThanOrEqual(ok.p50Ms);
  }, 30_000);

  it("refuses a bad spec, and survives a bad URL", async () => {
    await expect(generator.run({ url: baseline.receiveUrl } as never)).rejects.toThrow(
      /invalid load spec: durationSec/,
    );
    const spec = { url: "not a url", connections: 1, durationSec: 0.2, body: "{}", headers: {} };
    await expect(generator.run(spec)).rejects.toThrow(/load generator failed: /);
    expect((await load("right-key-12345", '{"result":"pong"}')).requests).toBeGreaterThan(0);
  }, 30_000);
});

describe("the command line", () => {
  it("writes the report and keeps the hand-written notes", async () => {
    const out = join(dir, "performance.md");
    await writeFile(
      out,
      "old\n<!-- notes:profile -->\nThe logger dominates.\n<!-- /notes:profile -->\n<!-- notes:chinese-fold -->\nFolding costs.\n<!-- /notes:chinese-fold -->\n<!-- notes:pii -->\nPII figures.\n<!-- /notes:pii -->\n",
    );
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/main.ts",
        "--quick",
        "--only",
        "engines",
        "--lists",
        "100,1000",
        "--no-packages",
        "--out",
        out,
      ],
      {
        cwd: benchDir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code).toBe(0);
    const written = await readFile(out, "utf8");
    expect(written).toBe(stdout.slice(0, written.length));
    expect(written).toContain("<!-- notes:profile -->\nThe logger dominates.\n<!-- /notes:profile -->");
    expect(written).toContain("<!-- notes:chinese-fold -->\nFolding costs.\n<!-- /notes:chinese-fold -->");
    expect(written).toContain("## PII engine\n\n<!-- notes:pii -->\nPII figures.\n<!-- /notes:pii -->");
    expect(written).toContain("### Keyword engine");
    expect(written).toMatch(
      /keyword engine, 1,000 vs 100 terms, 3000 no match \| [\d.]+× .* \| (PASS|\*\*FAIL\*\*) \|/,
    );
    expect(written).not.toContain("old\n");
  }, 60_000);

  it("names a bad option and exits 2", async () => {
    expect(() => parseBenchArgs(["--runs", "0"])).toThrow(/--runs: expected a positive integer, got "0"/);
    expect(() => parseBenchArgs(["--apps", "moderation,nope"])).toThrow(/--apps: unknown app "nope"/);
    expect(() => parseBenchArgs(["--only", "disk"])).toThrow(/--only: unknown part "disk"/);
    expect(parseBenchArgs(["--help"])).toBeNull();
  });
});

describe("the profile summary", () => {
  // (root) → handle (server) → stringify (pino); plus idle. Samples every 1,000 µs from t=0.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2, 4] },
      {
        id: 2,
        callFrame: { functionName: "handle", url: "file:///repo/packages/receive/src/core.ts", lineNumber: 9 },
        children: [3],
      },
      {
        id: 3,
        callFrame: {
          functionName: "stringify",
          url: "file:///repo/node_modules/.pnpm/pino@9.0.0/node_modules/pino/lib/tools.js",
          lineNumber: 0,
        },
      },
      { id: 4, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
    ],
    startTime: 0,
    endTime: 6000,
    samples: [2, 3, 3, 3, 4, 2],
    timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
  };

  it("splits busy time into self and inclusive shares per function and area", () => {
    const summary = summariseCpuProfile(profile);
    expect(summary.sampledMs).toBe(6);
    expect(summary.busyMs).toBe(5);
    expect(summary.top.map((f) => [f.name, f.area, f.where, f.selfShare])).toEqual([
      ["stringify", "pino", "lib/tools.js", 0.6],
      ["handle", "@dify-ext/receive", "src/core.ts:10", 0.4],
    ]);
    expect(summary.areas).toEqual([
      { area: "pino", selfShare: 0.6, inclusiveShare: 0.6 },
      { area: "@dify-ext/receive", selfShare: 0.4, inclusiveShare: 1 },
    ]);
  });

  it("counts only the samples inside the window", () => {
    const summary = summariseCpuProfile(profile, { window: [1000, 3000] });
    expect(summary.sampledMs).toBe(2);
    expect(summary.top.map((f) => [f.name, f.selfMs])).toEqual([["stringify", 2]]);
  });
});
