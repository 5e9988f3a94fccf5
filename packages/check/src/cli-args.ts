/**
 * Command-line checks the CLIs that call an extension share (`dify-ext-check`, `dify-ext-eval`):
 * the endpoint URL, the API key, the app id, and node's argument errors without the argument.
 */

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
