import { pino } from "pino";
import type { Logger as CoreLogger } from "../logger.ts";

/** Paths pino blanks out wherever they appear in a log line: keys and authorization headers. */
export const REDACTED_PATHS = [
  "authorization",
  "apiKey",
  "apiKeys",
  "headers.authorization",
  "req.headers.authorization",
  "*.authorization",
  "*.apiKey",
  "*.apiKeys",
];

/** A JSON logger (pino) to stdout, with secrets redacted. */
/** pino's logger, which satisfies the core's `Logger`. */
export type Logger = CoreLogger;

export function createLogger(options: { level?: string; name?: string } = {}): CoreLogger {
  return pino({
    level: options.level ?? "info",
    name: options.name,
    base: undefined,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
