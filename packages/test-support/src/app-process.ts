import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface AppProcess {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  url: string;
  /** `url` + `/api/dify/receive`. */
  receiveUrl: string;
  port: number;
  child: ChildProcess;
  /** Every stdout and stderr line so far. */
  output: string[];
  /** Sends a signal and resolves with the exit code (kills it after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface StartAppOptions {
  /** The app's folder (its package root). */
  cwd: string;
  /** Entry file relative to `cwd` (default `src/main.ts`, run through tsx). */
  entry?: string;
  /** Run the entry with plain node instead of tsx (for built deployables). */
  plainNode?: boolean;
  /** Extra env vars; `PORT` defaults to 0 (a free port) and `HOST` to 127.0.0.1. */
  env?: Record<string, string>;
  /** How long to wait for the "listening" log line (default {@link DEFAULT_START_TIMEOUT_MS}). */
  startTimeoutMs?: number;
}

/** The folder of the app whose `test/` folder holds the calling test file: `appDirOf(import.meta.url)`. */
export const appDirOf = (testFileUrl: string): string => fileURLToPath(new URL("..", testFileUrl));

/** How long an app may take to listen: a few seconds here, much longer on a loaded machine. */
export const DEFAULT_START_TIMEOUT_MS = 60_000;

/**
 * Starts an app as a real process on a free loopback port and waits for its `listening` log line,
 * so end-to-end tests talk HTTP to exactly what users run. Fails with the process output when it
 * exits or does not listen in time.
 */
export function startAppProcess(options: StartAppOptions): Promise<AppProcess> {
  const entry = options.entry ?? "src/main.ts";
  const args = options.plainNode ? [entry] : ["--import", "tsx", entry];
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...options.env };
  // Tests control the environment: nothing from the developer's shell leaks in unless passed.
  const ours =
    /^(API_KEYS|NODE_ENV|PORT|HOST|BODY_LIMIT|MAX_|RATE_LIMIT_|LOG_|METRICS|MODERATION_|KEYWORDS_|OBSCENITY_|OPENAI_|PII_|GUARD_|INJECTION_|WEATHER_|OPEN_METEO_|PLAYGROUND|SHARED_STATE_)/;
  for (const name of Object.keys(env)) {
    if (ours.test(name) && !(options.env && name in options.env)) delete env[name];
  }
  env.PORT = options.env?.PORT ?? "0";
  env.HOST = options.env?.HOST ?? "127.0.0.1";
  env.LOG_LEVEL = options.env?.LOG_LEVEL ?? "info";
  const child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));

  return new Promise<AppProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `app in ${options.cwd} did not listen within ${options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms:\n${output.join("\n")}`,
        ),
      );
    }, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);

    const onLine = (line: string) => {
      output.push(line);
      if (!line.startsWith("{")) return;
      try {
        const record = JSON.parse(line) as { msg?: string; port?: number };
        if (record.msg === "listening" && typeof record.port === "number") {
          clearTimeout(timer);
          const url = `http://127.0.0.1:${record.port}`;
          resolve({
            url,
            receiveUrl: `${url}/api/dify/receive`,
            port: record.port,
            child,
            output,
            async stop(signal = "SIGTERM", timeoutMs = 10_000) {
              if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
              child.kill(signal);
              const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
              const code = await exited;
              clearTimeout(killer);
              return code;
            },
          });
        }
      } catch {
        // not a JSON log line
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf("\n");
        while (newline >= 0) {
          onLine(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf("\n");
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`app in ${options.cwd} exited with code ${code} before listening:\n${output.join("\n")}`));
    });
  });
}

/** Posts a Dify call (`{"point", "params"}`) with a Bearer key, as Dify does. */
export function difyCall(
  url: string,
  key: string,
  point: string,
  params: unknown,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    ...init,
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${key}`,
      ...(init.headers as Record<string, string>),
    },
    body: JSON.stringify({ point, params }),
  });
}

/**
 * Starts an app that must refuse to start (a bad configuration) and returns what it said: the
 * error `startAppProcess` rejects with, holding the exit code and every line the process printed.
 * Fails the test when the app starts listening (after stopping it).
 */
export async function startupFailure(options: StartAppOptions): Promise<string> {
  let app: AppProcess;
  try {
    app = await startAppProcess(options);
  } catch (error) {
    return String(error);
  }
  await app.stop();
  throw new Error(`expected the app in ${options.cwd} to refuse to start, but it listens:\n${app.output.join("\n")}`);
}

/** The JSON lines an app logged (its log records), skipping any other line. */
export function logRecords(app: { output: readonly string[] }): Record<string, unknown>[] {
  return app.output.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
