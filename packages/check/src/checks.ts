import { randomBytes, randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { difyReplyProblems, type Point } from "@dify-ext/protocol";
import {
  type CallOutcome,
  callExtension,
  type DifyCallOptions,
  type RequestorResult,
  requestorResult,
} from "./dify-client.ts";
import {
  difyExternalDataError,
  difyModerationInputError,
  difyModerationOutputError,
  difyPingError,
} from "./dify-view.ts";
import { INPUT_SAMPLES, OUTPUT_SAMPLES, STREAM_STEP, STREAMED_ANSWER, streamedPrefixes } from "./samples.ts";

/** The groups of checks a user can pick, one per extension point beyond ping. */
export const POINT_GROUPS = ["moderation-input", "moderation-output", "external-data-tool"] as const;
export type PointGroup = (typeof POINT_GROUPS)[number];

const GROUP_POINT: Record<PointGroup, Point> = {
  "moderation-input": "app.moderation.input",
  "moderation-output": "app.moderation.output",
  "external-data-tool": "app.external_data_tool.query",
};

/** Statuses that mean "this service does not answer this point" when the user did not ask for it. */
const NOT_SUPPORTED_STATUSES = new Set([400, 404, 405, 422, 501]);

export type CheckStatus = "PASS" | "FAIL" | "SKIP";

export interface CheckResult {
  /** e.g. `ping`, `moderation-input: profanity`. */
  name: string;
  point: Point;
  status: CheckStatus;
  /** Time of the call (of all calls, for the streamed answer); `null` when nothing was sent. */
  latencyMs: number | null;
  /** The exact error Dify raises for this reply (what its user sees or its log shows); absent when Dify accepts it. */
  difyError?: string;
  /** Why the reply is wrong, in plain words (also set when Dify accepts a reply that misbehaves). */
  problems: string[];
  /** A short description of what came back, e.g. `flagged, direct_output`. */
  detail?: string;
}

export interface CheckOptions extends DifyCallOptions {
  url: string;
  key: string;
  /** Point groups to check. Default: all of them, skipping those the service answers with 400/404/405/422/501. */
  points?: readonly PointGroup[];
  /** The `app_id` sent with every call (default: a random one per run). */
  appId?: string;
  /** Texts of the operator's own, moderated as input and as output after the samples. */
  texts?: readonly string[];
  /** The tool variable name sent to the external data tool (default `context`). */
  toolVariable?: string;
  /** The app's input variables for the external data tool query. */
  inputs?: Record<string, string>;
  /** The user's question for the external data tool (default a weather question). */
  query?: string;
  /** Called as each check finishes (for progress output). */
  onResult?: (result: CheckResult) => void;
}

export interface CheckReport {
  /** The endpoint, without any user:password part. */
  url: string;
  /** The `app_id` the calls carried, when one was given. */
  appId?: string;
  ok: boolean;
  results: CheckResult[];
  summary: { passed: number; failed: number; skipped: number };
}

/** The URL as printed: credentials in it are never shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = "***";
      parsed.password = "";
    }
    return parsed.toString();
  } catch {
    return url;
  }
}

function shown(value: string): string {
  const chars = Array.from(value);
  return JSON.stringify(chars.length > 60 ? `${chars.slice(0, 60).join("")}…` : value);
}

function describe(json: unknown): string {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "";
  const body = json as Record<string, unknown>;
  if (typeof body.result === "string") return `result: ${shown(body.result)}`;
  if (body.flagged === true) {
    // What Dify shows or passes on: the preset response, or the masked query / answer.
    const shownText =
      body.action === "direct_output" && typeof body.preset_response === "string"
        ? body.preset_response
        : typeof body.query === "string" && body.query !== ""
          ? body.query
          : typeof body.text === "string"
            ? body.text
            : undefined;
    return `flagged, ${String(body.action)}${shownText === undefined ? "" : `: ${shown(shownText)}`}`;
  }
  if (body.flagged === false) return "not flagged";
  return "";
}

/** Values a moderation service must hand back unchanged: everything that is not text. */
function nonTextProblems(sent: Record<string, unknown>, reply: unknown): string[] {
  const body = reply as Record<string, unknown>;
  if (body.flagged !== true || body.action !== "overridden") return [];
  const echoed = body.inputs;
  if (typeof echoed !== "object" || echoed === null || Array.isArray(echoed)) return [];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(sent)) {
    if (typeof value === "string" || !Object.hasOwn(echoed, name)) continue;
    const back = (echoed as Record<string, unknown>)[name];
    if (Array.isArray(value)) {
      const same =
        Array.isArray(back) &&
        back.length === value.length &&
        value.every((item, i) =>
          typeof item === "string" ? typeof back[i] === "string" : isDeepStrictEqual(item, back[i]),
        );
      if (!same)
        problems.push(
          `overridden inputs changed the list "${name}" beyond its text: sent ${JSON.stringify(value)}, got ${JSON.stringify(back)}`,
        );
    } else if (!isDeepStrictEqual(value, back)) {
      problems.push(
        `overridden inputs changed the non-text input "${name}": sent ${JSON.stringify(value)}, got ${JSON.stringify(back)}`,
      );
    }
  }
  return problems;
}

interface Judged {
  outcome: CallOutcome;
  result: RequestorResult;
  difyError: string | null;
  problems: string[];
}

function explainTransport(outcome: CallOutcome, options: CheckOptions): string[] {
  if (outcome.kind === "timeout") {
    const budget =
      outcome.phase === "connect" ? (options.connectTimeoutMs ?? 5_000) : (options.readTimeoutMs ?? 60_000);
    return [
      outcome.phase === "connect"
        ? `could not connect within ${budget} ms (Dify allows 5 s)`
        : `no reply within ${budget} ms of silence (Dify allows 60 s)`,
    ];
  }
  if (outcome.kind === "connection-error") return [`the call failed before any reply: ${outcome.reason}`];
  if (outcome.status >= 300 && outcome.status < 400) {
    const where = outcome.location ? ` to ${outcome.location}` : "";
    return [`status ${outcome.status} redirects${where}: Dify does not follow redirects, register the final URL`];
  }
  if (outcome.status !== 200) return [`status ${outcome.status}: Dify accepts only 200`];
  return [];
}

function judge(
  point: Point,
  outcome: CallOutcome,
  params: unknown,
  options: CheckOptions,
  difyErrorOf: (result: RequestorResult) => string | null,
): Judged {
  const result = requestorResult(outcome);
  const difyError = difyErrorOf(result);
  const problems = explainTransport(outcome, options);
  if (outcome.kind === "response" && outcome.status === 200 && !result.ok) {
    problems.push("the body of a 200 reply is not JSON");
  }
  if (result.ok) problems.push(...difyReplyProblems(point, result.json, params));
  if (difyError && problems.length === 0) problems.push("Dify rejects this reply");
  return { outcome, result, difyError, problems };
}

function toResult(name: string, point: Point, judged: Judged, extraProblems: string[] = []): CheckResult {
  const problems = [...judged.problems, ...extraProblems];
  const failed = judged.difyError !== null || problems.length > 0;
  return {
    name,
    point,
    status: failed ? "FAIL" : "PASS",
    latencyMs: judged.outcome.ms,
    ...(judged.difyError !== null ? { difyError: judged.difyError } : {}),
    problems,
    ...(judged.result.ok ? { detail: describe(judged.result.json) } : {}),
  };
}

function notSupported(outcome: CallOutcome): boolean {
  return outcome.kind === "response" && NOT_SUPPORTED_STATUSES.has(outcome.status);
}

/**
 * Runs every check against one endpoint, as Dify would call it, and judges each reply with Dify's
 * rules. Never throws for a misbehaving service: every failure is a FAIL result.
 */
export async function runChecks(options: CheckOptions): Promise<CheckReport> {
  const results: CheckResult[] = [];
  const add = (result: CheckResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  const call = (key: string, point: Point, params: unknown) => callExtension(options.url, key, point, params, options);
  const appId = options.appId ?? randomUUID();
  const ownTexts = (options.texts ?? []).map((text, index) => ({
    name: `your text ${index + 1}`,
    inputs: {},
    query: text,
    text,
  }));

  // 1. ping, as when the extension is saved.
  const ping = judge("ping", await call(options.key, "ping", {}), {}, options, difyPingError);
  add({
    ...toResult("ping", "ping", ping),
    ...(ping.difyError === null ? { detail: "pong: Dify saves the extension" } : {}),
  });
  const reached = ping.outcome.kind === "response" && ping.outcome.status === 200;

  // 2. the same ping with a wrong key must fail the save.
  let wrongKey = `dify-ext-check-wrong-${randomBytes(6).toString("hex")}`;
  if (wrongKey === options.key) wrongKey = `${wrongKey}x`;
  const wrong = await call(wrongKey, "ping", {});
  const wrongError = difyPingError(requestorResult(wrong));
  const wrongAccepted = wrong.kind === "response" && wrong.status === 200;
  add({
    name: "ping with a wrong key",
    point: "ping",
    status: wrongAccepted ? "FAIL" : "PASS",
    latencyMs: wrong.ms,
    problems: wrongAccepted
      ? [
          wrongError === null
            ? "the service answered pong to a wrong key: anyone who can reach the URL can use it; check `Authorization: Bearer <key>` and answer 401"
            : "the service answered 200 to a wrong key: it does not check the key; check `Authorization: Bearer <key>` and answer 401",
        ]
      : [],
    detail:
      wrongError === null ? "accepted: Dify would save the extension with any key" : `Dify refuses: ${wrongError}`,
  });

  const groups = options.points ?? POINT_GROUPS;
  const explicit = options.points !== undefined;
  const skipRest = (group: PointGroup, names: string[], why: string) => {
    for (const name of names)
      add({
        name: `${group}: ${name}`,
        point: GROUP_POINT[group],
        status: "SKIP",
        latencyMs: null,
        problems: [],
        detail: why,
      });
  };

  for (const group of POINT_GROUPS) {
    if (!groups.includes(group)) continue;
    const names = groupCheckNames(group);
    if (!reached) {
      skipRest(group, names, "not run: the ping did not get a 200 reply");
      continue;
    }
    if (group === "moderation-input") await inputChecks();
    if (group === "moderation-output") await outputChecks();
    if (group === "external-data-tool") await externalChecks();
  }

  /** Handles the first call of a group: a 4xx there means "not supported" unless the user asked for it. */
  function unsupported(group: PointGroup, name: string, outcome: CallOutcome): boolean {
    if (explicit || !notSupported(outcome) || outcome.kind !== "response") return false;
    const why = `not supported: request error, status_code: ${outcome.status}`;
    add({
      name: `${group}: ${name}`,
      point: GROUP_POINT[group],
      status: "SKIP",
      latencyMs: outcome.ms,
      problems: [],
      detail: why,
    });
    const names = groupCheckNames(group);
    skipRest(group, names.slice(names.indexOf(name) + 1), why);
    return true;
  }

  async function inputChecks() {
    for (const [index, sample] of [...INPUT_SAMPLES, ...ownTexts].entries()) {
      const params = { app_id: appId, inputs: sample.inputs, query: sample.query };
      const outcome = await call(options.key, "app.moderation.input", params);
      if (index === 0 && unsupported("moderation-input", sample.name, outcome)) return;
      const judged = judge("app.moderation.input", outcome, params, options, difyModerationInputError);
      const extra =
        judged.result.ok && judged.difyError === null ? nonTextProblems(sample.inputs, judged.result.json) : [];
      add(toResult(`moderation-input: ${sample.name}`, "app.moderation.input", judged, extra));
    }
  }

  async function outputChecks() {
    const presets = new Set<string>();
    const remember = (json: unknown) => {
      const body = json as Record<string, unknown> | null;
      if (
        body?.flagged === true &&
        body.action === "direct_output" &&
        typeof body.preset_response === "string" &&
        body.preset_response
      ) {
        presets.add(body.preset_response);
      }
    };
    /** One output moderation call of `text`, judged as Dify reads it, and whether it was flagged. */
    const judgeOutput = async (text: string) => {
      const params = { app_id: appId, text };
      const outcome = await call(options.key, "app.moderation.output", params);
      const judged = judge("app.moderation.output", outcome, params, options, difyModerationOutputError);
      if (judged.result.ok) remember(judged.result.json);
      const flagged = judged.result.ok && (judged.result.json as Record<string, unknown> | null)?.flagged === true;
      return { judged, flagged };
    };
    for (const [index, sample] of [...OUTPUT_SAMPLES, ...ownTexts].entries()) {
      const params = { app_id: appId, text: sample.text };
      const outcome = await call(options.key, "app.moderation.output", params);
      if (index === 0 && unsupported("moderation-output", sample.name, outcome)) return;
      const judged = judge("app.moderation.output", outcome, params, options, difyModerationOutputError);
      if (judged.result.ok) remember(judged.result.json);
      add(toResult(`moderation-output: ${sample.name}`, "app.moderation.output", judged));
    }

    // The growing answer, exactly as Dify streams it: every call must be valid.
    const prefixes = streamedPrefixes(STREAMED_ANSWER);
    const started = performance.now();
    let firstFailure: { judged: Judged; index: number } | undefined;
    let firstFlagged: number | undefined;
    for (const [index, text] of prefixes.entries()) {
      const { judged, flagged } = await judgeOutput(text);
      if (flagged && firstFlagged === undefined) firstFlagged = index;
      if ((judged.difyError !== null || judged.problems.length > 0) && !firstFailure) firstFailure = { judged, index };
      if (judged.outcome.kind !== "response") break;
    }
    const total = Math.round(performance.now() - started);
    const calls = `${prefixes.length} calls (the answer so far every ${STREAM_STEP} characters, then all ${STREAMED_ANSWER.length})`;
    if (firstFailure) {
      const { judged, index } = firstFailure;
      add({
        ...toResult("moderation-output: streamed answer", "app.moderation.output", judged),
        latencyMs: total,
        problems: [
          `call ${index + 1} of ${prefixes.length} (${Array.from(prefixes[index]!).length} characters): ${judged.problems.join("; ")}`,
        ],
        detail: calls,
      });
    } else {
      const flaggedAt = firstFlagged === undefined ? "never flagged" : `flagged from call ${firstFlagged + 1}`;
      add({
        name: "moderation-output: streamed answer",
        point: "app.moderation.output",
        status: "PASS",
        latencyMs: total,
        problems: [],
        detail: `${calls}, ${flaggedAt}`,
      });
    }

    // After a direct_output, Dify's last call can carry the preset response itself.
    const preset = [...presets][0];
    if (preset === undefined) {
      add({
        name: "moderation-output: own preset response",
        point: "app.moderation.output",
        status: "SKIP",
        latencyMs: null,
        problems: [],
        detail: "no direct_output verdict seen",
      });
      return;
    }
    const { judged, flagged } = await judgeOutput(preset);
    add(
      toResult(
        "moderation-output: own preset response",
        "app.moderation.output",
        judged,
        flagged
          ? [
              "flagged its own preset response: after a direct_output Dify may send the preset response as the final text, which must pass",
            ]
          : [],
      ),
    );
  }

  async function externalChecks() {
    const variable = options.toolVariable ?? "context";
    const samples = [
      { name: "query", query: options.query ?? "What is the weather like today?" },
      { name: "empty query", query: "" },
    ];
    for (const [index, sample] of samples.entries()) {
      const params = { app_id: appId, tool_variable: variable, inputs: options.inputs ?? {}, query: sample.query };
      const outcome = await call(options.key, "app.external_data_tool.query", params);
      if (index === 0 && unsupported("external-data-tool", sample.name, outcome)) return;
      const judged = judge("app.external_data_tool.query", outcome, params, options, (result) =>
        difyExternalDataError(variable, result),
      );
      add(toResult(`external-data-tool: ${sample.name}`, "app.external_data_tool.query", judged));
    }
  }

  const summary = {
    passed: results.filter((r) => r.status === "PASS").length,
    failed: results.filter((r) => r.status === "FAIL").length,
    skipped: results.filter((r) => r.status === "SKIP").length,
  };
  return {
    url: redactUrl(options.url),
    ...(options.appId !== undefined && { appId: options.appId }),
    ok: summary.failed === 0,
    results,
    summary,
  };
}

/** The names of a group's checks, in the order they run. */
export function groupCheckNames(group: PointGroup): string[] {
  if (group === "moderation-input") return INPUT_SAMPLES.map((sample) => sample.name);
  if (group === "moderation-output")
    return [...OUTPUT_SAMPLES.map((sample) => sample.name), "streamed answer", "own preset response"];
  return ["query", "empty query"];
}
