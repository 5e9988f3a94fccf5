/** Runs the load generator (autocannon) as a separate process, pinned to its own CPU. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { track } from "./children.ts";

/** What to send, how hard, for how long. */
export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  /** The request body (sent on every request). */
  body: string;
  headers: Record<string, string>;
  /** When set, a reply with another body counts as a mismatch. */
  expectBody?: string;
}

/** One run's figures. Latencies in milliseconds. */
export interface LoadResult {
  /** 2xx replies. */
  requests: number;
  durationSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Replies with a status other than 2xx. */
  non2xx: number;
  /** Connection errors, timeouts and resets. */
  errors: number;
  /** 2xx replies whose body differed from `expectBody`. */
  mismatches: number;
  statusCodes: Record<string, number>;
  /** When the load started and ended, in µs of the system's monotonic clock (`process.hrtime`). */
  startUs: number;
  endUs: number;
}

const GENERATOR = fileURLToPath(new URL("./load-generator.ts", import.meta.url));

/** The command that runs the load generator, for the report. */
export function loadCommand(cpu: number | undefined): string[] {
  const node = [process.execPath, "--import", "tsx", GENERATOR];
  return cpu === undefined ? node : ["taskset", "-c", String(cpu), ...node];
}

/** A load generator process; runs one load at a time. */
export interface LoadGenerator {
  /** Runs one load; rejects when the generator fails or does not answer in time. */
  run(spec: LoadSpec): Promise<LoadResult>;
  /** Ends the process. */
  close(): Promise<void>;
}

/** Starts the load generator in a child process, pinned to `cpu` when given. */
export function startLoadGenerator(cpu: number | undefined): LoadGenerator {
  const [command, ...args] = loadCommand(cpu);
  const child = track(spawn(command!, args, { stdio: ["pipe", "pipe", "pipe"] }));
  let stderr = "";
  let buffered = "";
  let pending: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;
  let dead: Error | undefined;
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const newline = buffered.indexOf("\n");
    if (newline < 0) return;
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    pending?.resolve(line);
    pending = undefined;
  });
  const die = (why: string) => {
    dead ??= new Error(`load generator ${why}: ${stderr.trim()}`);
    pending?.reject(dead);
    pending = undefined;
  };
  child.once("error", (error) => die(`could not start (${error.message})`));
  child.once("close", (code, signal) => die(`exited (${signal ?? `code ${code}`})`));

  let queue = Promise.resolve();
  const runOne = async (spec: LoadSpec): Promise<LoadResult> => {
    if (dead) throw dead;
    if (
      !(Number.isFinite(spec?.durationSec) && spec.durationSec > 0) ||
      !(Number.isInteger(spec.connections) && spec.connections > 0)
    ) {
      throw new Error("invalid load spec: durationSec must be a positive number and connections a positive integer");
    }
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          child.kill("SIGKILL");
          reject(new Error(`load generator did not answer within ${spec.durationSec + 30} s`));
        },
        (spec.durationSec + 30) * 1000,
      );
      pending = {
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      child.stdin.write(`${JSON.stringify(spec)}\n`);
    });
    const reply = JSON.parse(line) as { result?: LoadResult; error?: string };
    if (!reply.result) throw new Error(`load generator failed: ${reply.error ?? line}`);
    return reply.result;
  };
  return {
    run(spec) {
      const result = queue.then(() => runOne(spec));
      queue = result.then(
        () => {},
        () => {},
      );
      return result;
    },
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
