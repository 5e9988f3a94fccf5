import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";

export interface BuiltWorker {
  /** Folder holding `worker.js` (the bundle wrangler would upload). */
  outDir: string;
  bytes: number;
  gzipBytes: number;
  /** wrangler's output (its build log, incl. the custom build step). */
  log: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  remove(): Promise<void>;
}

/** Reads `wrangler.jsonc` (JSON with comments). */
export async function readWranglerConfig(appDir: string): Promise<Record<string, unknown>> {
  const text = await readFile(join(appDir, "wrangler.jsonc"), "utf8");
  const withoutComments = text.replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_match, string: string | undefined) => string ?? "");
  return JSON.parse(withoutComments.replace(/,(\s*[}\]])/g, "$1")) as Record<string, unknown>;
}

/**
 * Builds an app's Worker exactly as `wrangler deploy` would (`wrangler deploy --dry-run --outdir`),
 * including its custom build step, into a temporary folder. `env` reaches the build (e.g.
 * KEYWORDS_FILES for the lists bundled at build time).
 */
export async function buildWorker(appDir: string, env: Record<string, string> = {}): Promise<BuiltWorker> {
  const outDir = await mkdtemp(join(tmpdir(), "dify-ext-worker-"));
  const log = await new Promise<string>((resolve, reject) => {
    const child = spawn("pnpm", ["exec", "wrangler", "deploy", "--dry-run", "--outdir", outDir], {
      cwd: appDir,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`wrangler build of ${appDir} failed (${code}):\n${output}`))));
  });
  const bundle = await readFile(join(outDir, "worker.js"));
  const config = await readWranglerConfig(appDir);
  return {
    outDir,
    bytes: bundle.byteLength,
    gzipBytes: gzipSync(bundle).byteLength,
    log,
    compatibilityDate: String(config.compatibility_date),
    compatibilityFlags: (config.compatibility_flags as string[] | undefined) ?? [],
    remove: () => rm(outDir, { recursive: true, force: true }),
  };
}

export interface RunningWorker {
  /** Base URL of the Worker, served by workerd on a loopback port. */
  url: string;
  receiveUrl: string;
  /** Every line the Worker logged (console output). */
  output: string[];
  stop(): Promise<void>;
}

/**
 * Runs a built Worker in Cloudflare's own runtime, workerd (through Miniflare), on a free loopback
 * port, with the given vars and secrets as bindings. Tests talk HTTP to it like to a Node app.
 */
export async function startWorker(built: BuiltWorker, bindings: Record<string, string>): Promise<RunningWorker> {
  const output: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      output.push(...lines.filter(Boolean));
    });
  };
  const miniflare = new Miniflare({
    scriptPath: join(built.outDir, "worker.js"),
    modules: true,
    modulesRoot: built.outDir,
    compatibilityDate: built.compatibilityDate,
    compatibilityFlags: built.compatibilityFlags,
    bindings,
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      collect(stdout);
      collect(stderr);
    },
  });
  const url = (await miniflare.ready).href.replace(/\/$/, "");
  return { url, receiveUrl: `${url}/api/dify/receive`, output, stop: () => miniflare.dispose() };
}
