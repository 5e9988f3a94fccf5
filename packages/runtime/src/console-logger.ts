import type { Logger } from "@dify-ext/receive";

const LEVELS = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
} as const;
export type LogLevel = keyof typeof LEVELS;

const REDACTED = new Set(["authorization", "apiKey", "apiKeys"]);

function redact(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (REDACTED.has(key)) out[key] = "[redacted]";
    else if (value instanceof Error) out[key] = { type: value.name, message: value.message };
    else out[key] = value;
  }
  return out;
}

/**
 * A JSON-lines logger on `console`, for runtimes without pino (Cloudflare Workers, whose logs
 * collect console output). Same shape as the Node logs: `level`, `time`, `msg`, fields.
 */
export function createConsoleLogger(
  options: { level?: LogLevel; name?: string; bindings?: Record<string, unknown> } = {},
): Logger {
  const threshold = LEVELS[options.level ?? "info"];
  const bindings = { ...(options.name ? { name: options.name } : {}), ...options.bindings };
  const at =
    (level: Exclude<LogLevel, "silent">) =>
    (fields: object, message?: string): void => {
      if (LEVELS[level] < threshold) return;
      const line = JSON.stringify({ level, time: Date.now(), ...bindings, ...redact(fields), msg: message });
      if (LEVELS[level] >= LEVELS.error) console.error(line);
      else console.log(line);
    };
  return {
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    fatal: at("fatal"),
    child: (more) => createConsoleLogger({ ...options, bindings: { ...options.bindings, ...more } }),
  } as Logger;
}
