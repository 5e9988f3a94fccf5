import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { expect, it } from "vitest";
import { difyCall, startAppProcess } from "./app-process.ts";

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
  const withoutComments = text.replace(
    /("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g,
    (_match, string: string | undefined) => string ?? "",
  );
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
    child.on("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`wrangler build of ${appDir} failed (${code}):\n${output}`)),
    );
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

/** A running app as the shared end-to-end cases see it: the Node process, or the Worker in workerd. */
export interface RunningTarget {
  url: string;
  receiveUrl: string;
  /** Every line the app logged so far. */
  output: string[];
  /** Stops the app; under Node, rejects when the process did not exit cleanly (code 0). */
  stop(): Promise<void>;
}

/**
 * How the shared end-to-end cases start an app: one suite, two transports. `start(env)` runs the
 * app with `env` as its configuration: process env under Node; Worker bindings in workerd, except
 * the build-time variables (the keyword list files), which pick the build the Worker runs.
 */
export interface Transport {
  /** `"Node"` or `"Worker"`, for test names. */
  readonly name: string;
  start(env: Record<string, string>): Promise<RunningTarget>;
}

/** The app as a real Node process (`startAppProcess`), one per `start`. */
export function nodeTransport(appDir: string): Transport {
  return {
    name: "Node",
    async start(env) {
      const app = await startAppProcess({ cwd: appDir, env });
      return {
        url: app.url,
        receiveUrl: app.receiveUrl,
        output: app.output,
        async stop() {
          const code = await app.stop();
          if (code !== 0) throw new Error(`the app exited with code ${code} on SIGTERM:\n${app.output.join("\n")}`);
        },
      };
    },
  };
}

import { WORKER_BUILD_VARS } from "./worker-build-vars.ts";

export { WORKER_BUILD_VARS };

export interface WorkerTransport extends Transport {
  /** The app's folder; its name is the app's (`apps/moderation-openai`: `moderation-openai`). */
  readonly appDir: string;
  /** Every build made so far, with the build-time variables it was made with. */
  readonly builds: ReadonlyArray<{ env: Record<string, string>; build: BuiltWorker }>;
  /** Builds the Worker with these build-time variables (once per distinct set; later calls reuse it). */
  build(buildEnv?: Record<string, string>): Promise<BuiltWorker>;
  /** Stops every Worker it started and removes its builds. */
  close(): Promise<void>;
}

/**
 * The app as a Worker in workerd: built with wrangler once per distinct set of build-time
 * variables (builds run one at a time: they share the app's `.worker/` folder), each `start` a
 * fresh Miniflare instance (a fresh isolate) with the rest of `env` as bindings.
 */
export function workerTransport(appDir: string): WorkerTransport {
  const builds: Array<{ env: Record<string, string>; build: BuiltWorker }> = [];
  const pending = new Map<string, Promise<BuiltWorker>>();
  const running = new Set<RunningWorker>();
  let queue: Promise<unknown> = Promise.resolve();

  function build(buildEnv: Record<string, string> = {}): Promise<BuiltWorker> {
    const key = JSON.stringify(Object.entries(buildEnv).sort());
    let promise = pending.get(key);
    if (!promise) {
      promise = queue.then(async () => {
        const built = await buildWorker(appDir, buildEnv);
        builds.push({ env: buildEnv, build: built });
        return built;
      });
      queue = promise.catch(() => undefined);
      pending.set(key, promise);
    }
    return promise;
  }

  return {
    name: "Worker",
    appDir,
    builds,
    build,
    async start(env) {
      const buildEnv: Record<string, string> = {};
      const bindings: Record<string, string> = {};
      for (const [name, value] of Object.entries(env)) {
        if ((WORKER_BUILD_VARS as readonly string[]).includes(name)) buildEnv[name] = value;
        else bindings[name] = value;
      }
      const worker = await startWorker(await build(buildEnv), bindings);
      running.add(worker);
      return {
        url: worker.url,
        receiveUrl: worker.receiveUrl,
        output: worker.output,
        async stop() {
          running.delete(worker);
          await worker.stop();
        },
      };
    },
    async close() {
      await Promise.all([...running].map((worker) => worker.stop()));
      running.clear();
      await Promise.all(builds.map(({ build: built }) => built.remove()));
    },
  };
}

/** The free plan's limit on a Worker bundle, compressed. */
export const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;

/**
 * Starts an app with `env`, pings it as Dify does on save, and stops it: the answer's status and
 * error message (a misconfigured Worker answers 500 naming the bad variables) and what it logged.
 */
export async function pingOnce(
  transport: Transport,
  key: string,
  env: Record<string, string>,
): Promise<{ status: number; message: string | undefined; output: string[] }> {
  const app = await transport.start(env);
  try {
    const response = await difyCall(app.receiveUrl, key, "ping", {});
    const body = (await response.json()) as { error?: { message?: string } };
    return { status: response.status, message: body.error?.message, output: [...app.output] };
  } finally {
    await app.stop();
  }
}

/** What {@link workerBasicsSuite} needs to know of one app's Worker. */
export interface WorkerBasicsOptions {
  /** The API key the checks call with. */
  key: string;
  /** A secret the checks' env may hold (an upstream's key): never in a 500 or in the Worker's log. */
  secret?: string;
  /** Check the default build's size against the free plan's limit (default); off for an app that checks its builds itself. */
  sizeCheck?: boolean;
  /**
   * Check that a Worker without `API_KEYS` answers every call with a 500 naming it (a Worker is
   * public, so there is no development key): `env` holds what else the app needs, `key` is the key
   * the call sends (default `key`).
   */
  apiKeysRequired?: { env?: Record<string, string>; key?: string };
  /**
   * Check that a Worker with these bad variables, and `API_KEYS` holding a key too short besides
   * `key`, answers every call with a 500 naming each of them, API_KEYS included.
   */
  badVariables?: Record<string, string>;
}

/** The checks {@link workerBasicsSuite} gives an app's own Worker tests. */
export interface WorkerBasics {
  /**
   * Starts the Worker with `env`, pings it with `key` (default the suite's) as Dify does when the
   * extension is saved, and expects the 500 of a misconfigured Worker: its message starts with
   * `<app> is misconfigured: ` (the app's folder name), and neither it nor the Worker's log holds
   * the key or the secret.
   * Returns the message, for the app's test to check which variables it names.
   */
  misconfiguration(env: Record<string, string>, key?: string): Promise<string>;
}

/**
 * What every app's Worker tests check, registered in the caller's `describe`: the bundle stays
 * within the free plan's size limit (printing its size), with `apiKeysRequired` that a Worker
 * without API keys refuses every call, and with `badVariables` that one misconfigured names them.
 * Returns {@link WorkerBasics.misconfiguration} for the app's own checks of its variables.
 */
export function workerBasicsSuite(worker: WorkerTransport, options: WorkerBasicsOptions): WorkerBasics {
  const app = basename(worker.appDir);
  const { secret } = options;
  async function misconfiguration(env: Record<string, string>, key = options.key): Promise<string> {
    const { status, message = "", output } = await pingOnce(worker, key, env);
    expect(status).toBe(500);
    expect(message).toMatch(new RegExp(`^${app} is misconfigured: `));
    for (const hidden of secret === undefined ? [key] : [key, secret]) {
      expect(message).not.toContain(hidden);
      expect(output.join("\n")).not.toContain(hidden);
    }
    return message;
  }

  if (options.sizeCheck ?? true) {
    it("stays within the free plan's size limit", async () => {
      const build = await worker.build();
      console.log(`${app} Worker bundle: ${build.bytes} bytes, ${build.gzipBytes} gzipped`);
      expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
    });
  }
  const { apiKeysRequired } = options;
  if (apiKeysRequired) {
    it("requires API keys: a Worker is public, so there is no development key", async () => {
      expect(await misconfiguration(apiKeysRequired.env ?? {}, apiKeysRequired.key)).toMatch(
        /misconfigured: API_KEYS: required/,
      );
    });
  }
  const { badVariables } = options;
  if (badVariables) {
    it("answers every call with a 500 naming the bad variables, and never echoes a key", async () => {
      const message = await misconfiguration({ API_KEYS: `abcd,${options.key}`, ...badVariables });
      for (const name of ["API_KEYS", ...Object.keys(badVariables)]) expect(message).toContain(name);
    });
  }
  return { misconfiguration };
}
