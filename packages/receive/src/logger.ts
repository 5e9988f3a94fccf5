/** The logging calls the core makes; pino's logger satisfies it, and so can a console wrapper. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  fatal(fields: object, message?: string): void;
  child(bindings: object): Logger;
  /** Writes out anything buffered (before the process exits). */
  flush?(): void;
  /**
   * Writes one access-log line at info level, the same as `info(fields, "request")`; a logger may
   * implement it with a faster path, since it runs for every request.
   */
  access?(fields: Record<string, unknown>): void;
}

/** A logger that drops everything (tests, and callers that log elsewhere). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  child() {
    return silentLogger;
  },
};
