import { pino } from "pino";
import type { Logger as CoreLogger } from "@dify-ext/receive";

/**
 * Paths pino blanks out in a log line: keys and authorization headers. No code logs them; this is
 * the safety net. (No wildcard paths: they cost time on every line, and none is needed.)
 */
export const REDACTED_PATHS = [
  "authorization",
  "apiKey",
  "apiKeys",
  "headers.authorization",
  "req.headers.authorization",
];

/** pino's logger, which satisfies the core's `Logger`. */
export type Logger = CoreLogger;

/** How log lines are written: JSON lines, or pino-pretty's readable lines (LOG_FORMAT). */
export type LogFormat = "json" | "pretty";

/** pino-pretty's stream factory (its default export), loaded only when lines are pretty. */
export type PrettyFactory = (options: {
  sync: boolean;
  destination: number;
  singleLine: boolean;
  translateTime: string;
  ignore: string;
}) => NodeJS.WritableStream;

/**
 * The format LOG_FORMAT asks for: `json` or `pretty`, and with `auto` (the default) pretty when a
 * person reads the lines: standard output is a terminal, or the service runs as a package's `dev`
 * script (`pnpm dev`: turbo reads each task's output through a pipe and shows it on its own
 * terminal); JSON otherwise (a file, a pipe, a container's log driver, `pnpm start`).
 */
export function resolveLogFormat(
  setting: "auto" | LogFormat,
  where: { terminal: boolean; devScript: boolean } = { terminal: process.stdout.isTTY === true, devScript: false },
): LogFormat {
  if (setting !== "auto") return setting;
  return where.terminal || where.devScript ? "pretty" : "json";
}

/** Loads pino-pretty for `pretty`; nothing for `json` (a service writing JSON never loads it). */
export async function loadPretty(format: LogFormat): Promise<PrettyFactory | undefined> {
  if (format === "json") return undefined;
  const { default: pretty } = await import("pino-pretty");
  return pretty as unknown as PrettyFactory;
}

/**
 * A JSON logger (pino) to stdout, with secrets redacted and `time` in epoch milliseconds (cheaper
 * than an ISO string). Lines are buffered and written in blocks of 4 KiB, and at least every
 * 200 ms: a write per line is a large share of a request's time under load (docs/performance.md).
 * `flush()` writes what is buffered; `listen` calls it after "listening" and before exiting.
 * With `pretty` (pino-pretty's factory, from {@link loadPretty}) every line is written at once,
 * readable: time, level, name, message and the fields on one line.
 */
export function createLogger(
  options: {
    level?: string;
    name?: string;
    /** every line at once */
    sync?: boolean;
    pretty?: PrettyFactory;
  } = {},
): CoreLogger {
  // Synchronous writes of 4 KiB blocks: cheaper per line than asynchronous ones (docs/performance.md),
  // and a slow log reader slows the service rather than growing its memory.
  const buffered = !(options.sync ?? false) && options.pretty === undefined;
  const destination = options.pretty
    ? (options.pretty({
        sync: true,
        destination: 1,
        singleLine: true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
      }) as unknown as ReturnType<typeof pino.destination>)
    : pino.destination({ dest: 1, sync: true, minLength: buffered ? 4096 : 0 });
  if (buffered) {
    const timer = setInterval(() => destination.flushSync(), 200);
    timer.unref();
  }
  const logger = pino(
    {
      level: options.level ?? "info",
      name: options.name,
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const name = options.name === undefined ? "" : `,"name":${JSON.stringify(options.name)}`;
  const infoEnabled = logger.isLevelEnabled("info");
  return Object.assign(logger, {
    /**
     * The access line, serialised by hand: the same JSON pino writes (level, time, name, fields,
     * msg), for a third of the cost. Its fields are the core's own (request id, status, time,
     * point, verdict, engine, ...), never headers or keys, so no redaction applies.
     */
    access(fields: Record<string, unknown>) {
      if (!infoEnabled) return;
      let line = `{"level":"info","time":${Date.now()}${name}`;
      for (const key in fields) {
        const value = fields[key];
        if (value !== undefined) line += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
      }
      destination.write(`${line},"msg":"request"}\n`);
    },
    flush() {
      try {
        destination.flushSync();
      } catch {
        // nothing buffered, or stdout already closed
      }
    },
  }) as unknown as CoreLogger;
}
