/**
 * Command-line checks the CLIs that call an extension share (`dify-ext-check`, `dify-ext-eval`):
 * the options both take, the endpoint URL, the API key, the app id, the timeouts, and node's
 * argument errors without the argument.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { DIFY_CONNECT_TIMEOUT_MS, DIFY_READ_TIMEOUT_MS } from "./dify-client.ts";

/** A bad command line; the message says what was wrong. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * A {@link UsageError} for what `parseArgs` threw. Node's messages quote the bad argument, which
 * could be a key typed in the wrong place: only the kind of mistake is kept.
 */
export function argsError(error: unknown): UsageError {
  const code = (error as { code?: string }).code ?? "";
  const what =
    code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
      ? `unknown option ${String((error as Error).message.match(/'(-[^']*)'/)?.[1] ?? "")}`.trim()
      : code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"
        ? "an option is missing its value"
        : "bad arguments";
  return new UsageError(`${what} (see --help)`);
}

/** The one positional argument, an http(s) endpoint URL. */
export function endpointUrl(positionals: readonly string[]): string {
  if (positionals.length === 0) throw new UsageError("the endpoint URL is missing (see --help)");
  if (positionals.length > 1) throw new UsageError(`expected one URL, got ${positionals.length} arguments`);
  const url = positionals[0]!;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL; give the full endpoint, e.g. http://127.0.0.1:3001/api/dify/receive`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`the URL must start with http:// or https://, got ${parsed.protocol}`);
  }
  return url;
}

/** The API key from `--key`, else from the environment variable `envName`, as Dify would accept it. */
export function apiKey(given: string | undefined, env: Record<string, string | undefined>, envName: string): string {
  const key = given ?? env[envName];
  if (key === undefined || key === "") throw new UsageError(`--key is missing (or set ${envName})`);
  if (key.length < 5) throw new UsageError("the key is shorter than 5 characters; Dify refuses such keys");
  return key;
}

/** `--app-id`, when given: 1 to 200 characters. */
export function checkAppId(appId: string | undefined): string | undefined {
  if (appId !== undefined && (appId.trim() === "" || appId.length > 200)) {
    throw new UsageError("--app-id must be 1 to 200 characters (Dify's app ids are UUIDs)");
  }
  return appId;
}

/** Reads `--timeout-ms` and `--connect-timeout-ms`: 1 to 600000, Dify's own timeouts when absent. */
function milliseconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 600_000) {
    throw new UsageError(`${flag} must be a whole number of milliseconds between 1 and 600000, got "${value}"`);
  }
  return Number(value);
}

/** The options every CLI that calls an extension takes, beside its own. */
const CALL_OPTIONS = {
  key: { type: "string" },
  "app-id": { type: "string" },
  "timeout-ms": { type: "string" },
  "connect-timeout-ms": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type ArgOptions = NonNullable<ParseArgsConfig["options"]>;
type CallArgsConfig<T extends ArgOptions> = {
  args: string[];
  allowPositionals: true;
  strict: true;
  options: typeof CALL_OPTIONS & T;
};
/** A command line parsed by {@link parseCallArgs}. */
export type CallArgs<T extends ArgOptions = Record<never, never>> = ReturnType<typeof parseArgs<CallArgsConfig<T>>>;

/**
 * Parses a command line with the common options and a CLI's own `options`; throws a
 * {@link UsageError} for what `parseArgs` refuses.
 */
export function parseCallArgs<T extends ArgOptions>(argv: readonly string[], options: T): CallArgs<T> {
  const config: CallArgsConfig<T> = {
    // `pnpm check -- <args>` (or `pnpm eval`) passes the `--` through; it is not the end of our options.
    args: argv[0] === "--" ? argv.slice(1) : [...argv],
    allowPositionals: true,
    strict: true,
    options: { ...CALL_OPTIONS, ...options },
  };
  try {
    return parseArgs(config);
  } catch (error) {
    throw argsError(error);
  }
}

/** What the common options say: where to call, with which key, as which app, how long to wait. */
export interface CallOptions {
  url: string;
  key: string;
  appId?: string;
  readTimeoutMs: number;
  connectTimeoutMs: number;
  json: boolean;
  help: boolean;
}

/**
 * Checks the common options of a {@link parseCallArgs} result; `env[envName]` supplies the key when
 * `--key` is absent. With `--help` nothing is checked (`url` and `key` are empty).
 */
export function callOptions(
  { values, positionals }: CallArgs,
  env: Record<string, string | undefined>,
  envName: string,
): CallOptions {
  const defaults = {
    readTimeoutMs: DIFY_READ_TIMEOUT_MS,
    connectTimeoutMs: DIFY_CONNECT_TIMEOUT_MS,
    json: values.json,
    help: values.help,
  };
  if (values.help) return { ...defaults, url: "", key: "" };
  const url = endpointUrl(positionals);
  const key = apiKey(values.key, env, envName);
  const appId = checkAppId(values["app-id"]);
  return {
    ...defaults,
    url,
    key,
    ...(appId !== undefined ? { appId } : {}),
    readTimeoutMs: milliseconds("--timeout-ms", values["timeout-ms"], DIFY_READ_TIMEOUT_MS),
    connectTimeoutMs: milliseconds("--connect-timeout-ms", values["connect-timeout-ms"], DIFY_CONNECT_TIMEOUT_MS),
  };
}
