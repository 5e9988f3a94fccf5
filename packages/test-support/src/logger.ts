/** One line a {@link recordingLogger} kept: its level, message and fields (bindings of child loggers included). */
export interface RecordedLine {
  level: string;
  msg?: string;
  [field: string]: unknown;
}

type LogMethod = (fields: object, message?: string) => void;

/** The shape of the services' logger (pino's, and `@dify-ext/server`'s `Logger`). */
export interface RecordingLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
  child(bindings: object): RecordingLogger;
}

/**
 * A logger that keeps its lines in `lines`, to check what a service says (and never says) in
 * process. Child loggers add their bindings to each line, as pino's do.
 */
export function recordingLogger(lines: RecordedLine[], bindings: object = {}): RecordingLogger {
  const log =
    (level: string): LogMethod =>
    (fields, message) => {
      lines.push({ level, ...bindings, ...fields, ...(message !== undefined && { msg: message }) });
    };
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    fatal: log("fatal"),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}
