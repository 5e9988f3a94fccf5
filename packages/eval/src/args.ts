import {
  type CallOptions,
  callOptions,
  DIFY_CONNECT_TIMEOUT_MS,
  DIFY_READ_TIMEOUT_MS,
  parseCallArgs,
  UsageError,
} from "@dify-ext/check";

export { UsageError };

export const USAGE = `Usage: dify-ext-eval <url> --key <api-key> [options]

Calls a Dify moderation extension as Dify does, once per labelled text, and reports how accurate
its verdicts are: recall, false-positive rate and precision, overall and per lang and kind.

  <url>                      the API Endpoint as registered in Dify, e.g. http://host:3007/api/dify/receive
  --key <api-key>            the API key registered in Dify (or set DIFY_EXT_EVAL_KEY)
  --file <cases.jsonl>       labelled texts, one JSON object a line: {"text", "label": attack|flag|benign|pass,
                             "lang"?, "kind"?, "point"?: input|output}; "-" reads standard input.
                             Without it, a small built-in sample runs.
  --concurrency <n>          calls in flight at once, 1 to 64 (default: 4)
  --misses <n>               list the first n misses and false alarms (default: 10; 0 lists none)
  --min-recall <r>           exit 1 when recall is below r (0.7 or 70%)
  --max-fpr <r>              exit 1 when the false-positive rate is above r (0.03 or 3%)
  --app-id <id>              the app_id sent with every call (default: dify-ext-eval), to measure
                             the policy a Dify app gets from a per-app policy file
  --input-var <name>         send input texts as this input variable (query empty) instead of as the query
  --timeout-ms <ms>          read inactivity timeout (default: ${DIFY_READ_TIMEOUT_MS}, as Dify)
  --connect-timeout-ms <ms>  connect timeout (default: ${DIFY_CONNECT_TIMEOUT_MS}, as Dify)
  --json                     print the report as JSON
  -h, --help                 show this help

A progress bar is shown on a terminal (standard error), not when the output is piped.
Exit code: 0 when every call got a verdict and the gates hold, 1 otherwise, 2 for a bad command
line or cases file.`;

export interface CliOptions extends CallOptions {
  file?: string;
  concurrency: number;
  misses: number;
  minRecall?: number;
  maxFpr?: number;
  inputVariable?: string;
}

function wholeNumber(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/** A rate given as `0.7` or `70%`, as a fraction. */
function rate(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const percent = value.endsWith("%");
  const number = Number(percent ? value.slice(0, -1) : value);
  const fraction = percent ? number / 100 : number;
  if (value.trim() === "" || !Number.isFinite(number) || fraction < 0 || fraction > 1) {
    throw new UsageError(`${flag} must be a rate from 0 to 1 (or 0% to 100%), got "${value}"`);
  }
  return fraction;
}

/** Parses the command line; `env` supplies the key when `--key` is absent. Throws {@link UsageError}. */
export function parseCli(argv: readonly string[], env: Record<string, string | undefined> = {}): CliOptions {
  const parsed = parseCallArgs(argv, {
    file: { type: "string" },
    concurrency: { type: "string" },
    misses: { type: "string" },
    "min-recall": { type: "string" },
    "max-fpr": { type: "string" },
    "input-var": { type: "string" },
  });
  const { values } = parsed;
  const call = callOptions(parsed, env, "DIFY_EXT_EVAL_KEY");
  if (call.help) return { ...call, concurrency: 4, misses: 10 };
  const inputVariable = values["input-var"];
  if (inputVariable !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(inputVariable)) {
    throw new UsageError("--input-var must be a variable name (letters, digits and _, not starting with a digit)");
  }
  if (values.file !== undefined && values.file.trim() === "") throw new UsageError("--file must not be empty");
  const minRecall = rate("--min-recall", values["min-recall"]);
  const maxFpr = rate("--max-fpr", values["max-fpr"]);
  return {
    ...call,
    ...(values.file !== undefined ? { file: values.file } : {}),
    concurrency: wholeNumber("--concurrency", values.concurrency, 4, 1, 64),
    misses: wholeNumber("--misses", values.misses, 10, 0, 10_000),
    ...(minRecall !== undefined ? { minRecall } : {}),
    ...(maxFpr !== undefined ? { maxFpr } : {}),
    ...(inputVariable !== undefined ? { inputVariable } : {}),
  };
}
