import { type CallOptions, callOptions, parseCallArgs, UsageError } from "./cli-args.ts";
import { DIFY_CONNECT_TIMEOUT_MS, DIFY_READ_TIMEOUT_MS } from "./dify-client.ts";
import { POINT_GROUPS, type PointGroup } from "./checks.ts";

export { UsageError };

export const USAGE = `Usage: dify-ext-check <url> --key <api-key> [options]

Calls a Dify API-based extension exactly as Dify does and judges every reply with Dify's rules.

  <url>                      the API Endpoint as registered in Dify, e.g. http://host:3001/api/dify/receive
  --key <api-key>            the API key registered in Dify (or set DIFY_EXT_CHECK_KEY)
  --points <list>            comma-separated: moderation-input, moderation-output, external-data-tool,
                             or all. Without it every point is tried and one the service answers with
                             400/404/405/422/501 is reported as SKIP (not supported); points named here
                             must work.
  --app-id <id>              the app_id sent with every call (default: a random one), to see the
                             policy that Dify app gets from a per-app policy file (docs/policies.md)
  --text <text>              also moderate this text as input and as output and show the verdict
                             (repeatable), e.g. a term the app's list should catch
  --tool-variable <name>     tool_variable sent to the external data tool (default: context)
  --input <name=value>       an input variable for the external data tool query (repeatable)
  --query <text>             the user's question for the external data tool
  --timeout-ms <ms>          read inactivity timeout (default: ${DIFY_READ_TIMEOUT_MS}, as Dify)
  --connect-timeout-ms <ms>  connect timeout (default: ${DIFY_CONNECT_TIMEOUT_MS}, as Dify)
  --json                     print the report as JSON
  -h, --help                 show this help

Exit code: 0 when every check passes (SKIP allowed), 1 when one fails, 2 for a bad command line.`;

export interface CliOptions extends CallOptions {
  points?: PointGroup[];
  texts: string[];
  toolVariable?: string;
  inputs: Record<string, string>;
  query?: string;
}

const POINT_ALIASES: Record<string, PointGroup> = {
  "moderation-input": "moderation-input",
  "app.moderation.input": "moderation-input",
  "moderation-output": "moderation-output",
  "app.moderation.output": "moderation-output",
  "external-data-tool": "external-data-tool",
  "app.external_data_tool.query": "external-data-tool",
};

/** Parses the command line; `env` supplies the key when `--key` is absent. Throws {@link UsageError}. */
export function parseCli(argv: readonly string[], env: Record<string, string | undefined> = {}): CliOptions {
  const parsed = parseCallArgs(argv, {
    points: { type: "string" },
    text: { type: "string", multiple: true },
    "tool-variable": { type: "string" },
    input: { type: "string", multiple: true },
    query: { type: "string" },
  });
  const { values } = parsed;
  const call = callOptions(parsed, env, "DIFY_EXT_CHECK_KEY");
  if (call.help) return { ...call, inputs: {}, texts: [] };

  let points: PointGroup[] | undefined;
  if (values.points !== undefined) {
    const names = values.points
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    if (names.length === 0) throw new UsageError(`--points is empty; use ${POINT_GROUPS.join(", ")} or all`);
    if (names.includes("all")) points = [...POINT_GROUPS];
    else {
      points = [];
      for (const name of names) {
        const group = POINT_ALIASES[name];
        if (!group) throw new UsageError(`--points: unknown point "${name}"; use ${POINT_GROUPS.join(", ")} or all`);
        if (!points.includes(group)) points.push(group);
      }
    }
  }

  const inputs: Record<string, string> = {};
  for (const pair of values.input ?? []) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`--input must be name=value, got "${pair}"`);
    inputs[pair.slice(0, equals)] = pair.slice(equals + 1);
  }

  const texts = values.text ?? [];
  if (texts.some((text) => text.trim() === "")) throw new UsageError("--text must not be empty");

  return {
    ...call,
    inputs,
    texts,
    ...(points ? { points } : {}),
    ...(values["tool-variable"] !== undefined ? { toolVariable: values["tool-variable"] } : {}),
    ...(values.query !== undefined ? { query: values.query } : {}),
  };
}
