/**
 * Memory of the keyword app with a large list: the app started as in production with the bundled
 * sample list and with a synthetic 100,000-term list file (KEYWORDS_FILES), idle resident set
 * size of each, and the build time the app itself logs.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTerms } from "./synthetic.ts";
import { appDeployable } from "./deployables.ts";
import { COMMON_ENV, sleep } from "./http.ts";
import { type PinnedProcess, startPinned } from "./processes.ts";

export interface ListMemoryResult {
  terms: number;
  /** Idle RSS of the keyword app with the sample list, bytes. */
  sampleRss: number;
  /** Idle RSS of the keyword app with the large list, bytes. */
  largeRss: number;
  /** Build time the app logged for the large list, ms (`null` if not found in its log). */
  appBuildMs: number | null;
  /** The large-list app flagged a listed term (proves the list was loaded). */
  flagsListedTerm: boolean;
}

const KEY = COMMON_ENV.API_KEYS!;

async function settledRss(server: PinnedProcess): Promise<number> {
  await sleep(1000);
  return server.rss();
}

/** Starts the keyword app with the sample list and with a `terms`-term list file; measures both. */
export async function runListMemoryBench(terms: number, cpu: number | undefined): Promise<ListMemoryResult> {
  const dir = await mkdtemp(join(tmpdir(), "dify-ext-bench-"));
  const list = generateTerms(terms);
  const file = join(dir, "large.txt");
  await writeFile(file, `# ${terms} synthetic terms (dify-ext bench)\n${list.join("\n")}\n`);
  const deployable = appDeployable("apps/moderation-keywords");
  const servers: PinnedProcess[] = [];
  try {
    const sample = await startPinned({
      name: "moderation-keywords (sample list)",
      ...deployable,
      env: COMMON_ENV,
      cpu,
    });
    servers.push(sample);
    const sampleRss = await settledRss(sample);
    const large = await startPinned({
      name: `moderation-keywords (${terms} terms)`,
      ...deployable,
      env: { ...COMMON_ENV, KEYWORDS_FILES: file },
      cpu,
      startTimeoutMs: 60_000,
    });
    servers.push(large);
    const largeRss = await settledRss(large);
    let appBuildMs: number | null = null;
    for (const line of large.tail()) {
      if (!line.includes("keyword lists loaded")) continue;
      const record = JSON.parse(line) as { buildMs?: number };
      if (typeof record.buildMs === "number") appBuildMs = record.buildMs;
    }
    const response = await fetch(large.receiveUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        point: "app.moderation.input",
        params: { app_id: "bench", inputs: {}, query: `so ${list.at(-1)} then` },
      }),
    });
    const reply = (await response.json()) as { flagged?: boolean };
    return {
      terms,
      sampleRss,
      largeRss,
      appBuildMs,
      flagsListedTerm: response.status === 200 && reply.flagged === true,
    };
  } finally {
    for (const server of servers) await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
