/**
 * Starts servers as real processes pinned to one CPU (`taskset -c N node entry`), the
 * way production runs them, and reads their resident set size. Their output goes to a temporary
 * log file (deleted when the process exits), whose size is the log volume.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { track } from "./children.ts";

export interface PinnedProcess {
  name: string;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>/api/dify/receive`. */
  receiveUrl: string;
  child: ChildProcess;
  /** Bytes written to stdout and stderr so far (the log volume). */
  outputBytes(): number;
  /** The last lines of output, for error messages. */
  tail(): string[];
  /** Resident set size in bytes (from /proc; 0 when unavailable). */
  rss(): number;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export interface StartPinnedOptions {
  name: string;
  /** Folder the entry is resolved from (the app's package root). */
  cwd: string;
  /** Entry file relative to `cwd`: `.ts` runs through tsx, `.mjs`/`.js` with plain node. */
  entry: string;
  /** Env vars on top of a clean base (PATH, HOME and the like; nothing app-specific leaks in). */
  env: Record<string, string>;
  /** CPU to pin to, or `undefined` for no pinning. */
  cpu: number | undefined;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

const TAIL_LINES = 40;

/** Variables of the developer's shell that would change an app's behaviour; never passed on. */
const APP_VARS =
  /^(API_KEYS|PORT|HOST|BODY_LIMIT|LOG_LEVEL|NODE_ENV|NODE_OPTIONS|MODERATION_.*|KEYWORDS_.*|OBSCENITY_.*|OPENAI_.*|OPEN_METEO_.*|WEATHER_.*|GUARD_.*|PII_.*|RATE_LIMIT_.*|SHARED_STATE_.*)$/;

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !APP_VARS.test(name)) env[name] = value;
  }
  return env;
}

/** Whether `taskset` works here (Linux with util-linux). */
export function tasksetAvailable(): boolean {
  const probe = spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
  return probe.status === 0;
}

/** Server CPU time of a process in ms (utime + stime), from `/proc/<pid>/stat` (0 when unavailable). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat(5), counted from the state field (3) here; in clock ticks (100 Hz).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes, from `/proc/<pid>/status` (0 when unavailable). */
export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The command line `startPinned` runs, for the report. */
export function pinnedCommand(options: Pick<StartPinnedOptions, "cpu" | "entry" | "nodeArgs">): string[] {
  const loader = options.entry.endsWith(".ts") ? ["--import", "tsx"] : [];
  const node = [process.execPath, ...(options.nodeArgs ?? []), ...loader, options.entry];
  return options.cpu === undefined ? node : ["taskset", "-c", String(options.cpu), ...node];
}

/** The last `bytes` of a file as text (empty when it is gone). */
function readTail(file: string, bytes = 8192): string {
  try {
    const fd = openSync(file, "r");
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, bytes);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      return buffer.toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Starts a server and resolves once it logged `{"msg":"listening","port":N}`. Fails with the
 * process's last output when it exits first or does not listen within the timeout.
 *
 * stdout and stderr go to a log file, as with a log collector, not to a pipe: on a busy machine a
 * pipe the harness drains too slowly would block the server's synchronous log writes and be
 * measured as the server's time.
 */
export function startPinned(options: StartPinnedOptions): Promise<PinnedProcess> {
  const [command, ...args] = pinnedCommand(options);
  const logDir = mkdtempSync(join(tmpdir(), "dify-ext-bench-log-"));
  const logFile = join(logDir, "output.log");
  const out = openSync(logFile, "w");
  const child = track(
    spawn(command!, args, {
      cwd: options.cwd,
      env: { ...baseEnv(), ...options.env },
      stdio: ["ignore", out, out],
    }),
  );
  closeSync(out);
  let finalTail: string | undefined;
  let finalBytes = 0;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      finalBytes = fileSize(logFile);
      finalTail = readTail(logFile);
      rmSync(logDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const tail = () => (finalTail ?? readTail(logFile)).split("\n").filter(Boolean).slice(-TAIL_LINES);
  const timeoutMs = options.startTimeoutMs ?? 30_000;

  return new Promise<PinnedProcess>((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error, value?: PinnedProcess) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value!);
    };
    const fail = (why: string) => finish(new Error(`${options.name} ${why}:\n${tail().join("\n")}`));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(`did not listen within ${timeoutMs} ms`);
    }, timeoutMs);
    child.once("error", (error) => fail(`could not be started (${error.message})`));
    void exited.then((code) => fail(`exited with code ${code} before listening`));

    // Start-up output is small: read the whole file until the listening line shows up.
    const poll = setInterval(() => {
      let text: string;
      try {
        text = readFileSync(logFile, "utf8");
      } catch {
        return;
      }
      for (const line of text.split("\n")) {
        if (!line.includes('"listening"')) continue;
        let record: { msg?: string; port?: number };
        try {
          record = JSON.parse(line) as typeof record;
        } catch {
          continue;
        }
        if (record.msg !== "listening" || typeof record.port !== "number") continue;
        const port = record.port;
        const pid = child.pid!;
        finish(undefined, {
          name: options.name,
          pid,
          port,
          receiveUrl: `http://127.0.0.1:${port}/api/dify/receive`,
          child,
          outputBytes: () => (finalTail === undefined ? fileSize(logFile) : finalBytes),
          tail,
          rss: () => rssOf(pid),
          async stop(stopTimeoutMs = 10_000) {
            if (child.exitCode !== null || child.signalCode !== null) return exited;
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
            const code = await exited;
            clearTimeout(killer);
            return code;
          },
        });
        return;
      }
    }, 25);
  });
}
