/**
 * Where the time goes: the keyword app runs under `node --cpu-prof`, pinned like in the HTTP
 * benchmark, while the load generator sends ping and then the 300-character input at 32
 * connections; the baseline server is profiled the same way for comparison. Each summary only
 * counts the samples taken while its load ran (the profile's clock is the system's monotonic
 * clock, like `process.hrtime`, and the load generator reports when its load started and ended),
 * so start-up is left out.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CpuProfile, type ProfileSummary, summariseCpuProfile } from "./cpuprofile.ts";
import { BASELINE, CASES, type CaseId, COMMON_ENV, REPO_ROOT } from "./http.ts";
import { type LoadGenerator, startLoadGenerator } from "./load.ts";
import { type StartPinnedOptions, startPinned } from "./processes.ts";

export interface ProfiledCase {
  caseId: CaseId;
  /** 2xx replies during the profiled load. */
  requests: number;
  requestsPerSec: number;
  summary: ProfileSummary;
}

export interface ProfiledServer {
  server: string;
  cases: ProfiledCase[];
  /** Set when the samples could not be placed in the load windows (the whole profile was used). */
  note?: string;
}

export interface ProfileResult {
  app: string;
  connections: number;
  durationSec: number;
  servers: ProfiledServer[];
  failures: string[];
}

const CASE_IDS: CaseId[] = ["ping", "input"];
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const HEADERS = { "content-type": "application/json", authorization: `Bearer ${COMMON_ENV.API_KEYS}` };
const body = (caseId: CaseId) => JSON.stringify({ point: CASES[caseId].point, params: CASES[caseId].params });

async function profileServer(
  launch: Omit<StartPinnedOptions, "nodeArgs">,
  generator: LoadGenerator,
  options: { durationSec: number; connections: number },
  failures: string[],
  onStarted?: (receiveUrl: string) => Promise<void>,
): Promise<ProfiledServer> {
  const dir = await mkdtemp(join(tmpdir(), "dify-ext-profile-"));
  try {
    const spawnedAt = nowUs();
    const server = await startPinned({ ...launch, nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`] });
    const windows: Array<{ caseId: CaseId; from: number; to: number; requests: number; requestsPerSec: number }> = [];
    try {
      await onStarted?.(server.receiveUrl);
      for (const caseId of CASE_IDS) {
        const spec = { url: server.receiveUrl, connections: options.connections, body: body(caseId), headers: HEADERS };
        await generator.run({ ...spec, durationSec: Math.min(1, options.durationSec) });
        const result = await generator.run({ ...spec, durationSec: options.durationSec });
        if (result.non2xx + result.errors > 0) {
          failures.push(
            `profiled ${launch.name}, ${CASES[caseId].label}: ${result.non2xx} non-2xx, ${result.errors} errors`,
          );
        }
        windows.push({
          caseId,
          from: result.startUs,
          to: result.endUs,
          requests: result.requests,
          requestsPerSec: result.requestsPerSec,
        });
      }
    } finally {
      const code = await server.stop();
      if (code !== 0) failures.push(`the profiled ${launch.name} exited with code ${code}`);
    }
    const file = (await readdir(dir)).find((name) => name.endsWith(".cpuprofile"));
    if (!file) throw new Error(`node --cpu-prof wrote no profile for ${launch.name}`);
    const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as CpuProfile;
    // The profile starts when the process starts; if it does not, the clocks differ and the
    // windows cannot be trusted.
    const aligned = profile.startTime >= spawnedAt - 1_000_000 && profile.startTime <= windows[0]!.from;
    return {
      server: launch.name,
      cases: windows.map((w) => ({
        caseId: w.caseId,
        requests: w.requests,
        requestsPerSec: w.requestsPerSec,
        summary: summariseCpuProfile(profile, aligned ? { window: [w.from, w.to] } : {}),
      })),
      note: aligned
        ? undefined
        : "the profile's clock did not match this process's: the summaries cover the whole profile, start-up included",
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Profiles the keyword app, then the baseline giving the same replies, under the same load. */
export async function runProfile(options: {
  durationSec: number;
  connections: number;
  serverCpu: number | undefined;
  loadCpu: number | undefined;
}): Promise<ProfileResult> {
  const failures: string[] = [];
  const generator = startLoadGenerator(options.loadCpu);
  const replies: Record<string, string> = {};
  try {
    const app = await profileServer(
      // From source (through tsx), not the bundle: the profile then names the package of every frame.
      {
        name: "moderation-keywords",
        cwd: join(REPO_ROOT, "apps/moderation-keywords"),
        entry: "src/main.ts",
        env: COMMON_ENV,
        cpu: options.serverCpu,
      },
      generator,
      options,
      failures,
      async (url) => {
        for (const caseId of CASE_IDS) {
          const response = await fetch(url, { method: "POST", headers: HEADERS, body: body(caseId) });
          replies[CASES[caseId].point] = await response.text();
        }
      },
    );
    const baseline = await profileServer(
      {
        name: BASELINE,
        cwd: join(REPO_ROOT, "bench"),
        entry: "src/baseline-server.ts",
        env: { ...COMMON_ENV, BASELINE_REPLIES: JSON.stringify(replies) },
        cpu: options.serverCpu,
      },
      generator,
      options,
      failures,
    );
    return {
      app: app.server,
      connections: options.connections,
      durationSec: options.durationSec,
      servers: [app, baseline],
      failures,
    };
  } finally {
    await generator.close();
  }
}
