/**
 * A judge that calls a running extension exactly as Dify does (`@dify-ext/check`'s client: the
 * same request, headers, timeouts and JSON), and reads the verdict as Dify reads it: a reply Dify
 * would refuse (a non-200, a timeout, a body its pydantic models reject) is a failed call, not a
 * verdict.
 */
import {
  callExtension,
  DIFY_CONNECT_TIMEOUT_MS,
  DIFY_READ_TIMEOUT_MS,
  difyModerationInputError,
  difyModerationOutputError,
  requestorResult,
} from "@dify-ext/check";
import type { EvalCase } from "./cases.ts";
import type { Judge } from "./run.ts";

export interface DifyJudgeOptions {
  /** The API Endpoint as registered in Dify, e.g. `http://127.0.0.1:3007/api/dify/receive`. */
  url: string;
  key: string;
  /** `app_id` sent with every call (a per-app policy applies to it); default `dify-ext-eval`. */
  appId?: string;
  /** Send input cases as this input variable (query empty) instead of as the query. */
  inputVariable?: string;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
}

/** pydantic's lax bool, as Dify reads `flagged`. */
function flaggedOf(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return typeof value === "string" && ["1", "on", "t", "true", "y", "yes"].includes(value.toLowerCase());
}

/** A judge calling the extension at `options.url`. */
export function difyJudge(options: DifyJudgeOptions): Judge {
  const appId = options.appId ?? "dify-ext-eval";
  const timeouts = {
    connectTimeoutMs: options.connectTimeoutMs ?? DIFY_CONNECT_TIMEOUT_MS,
    readTimeoutMs: options.readTimeoutMs ?? DIFY_READ_TIMEOUT_MS,
  };
  return async (item: EvalCase) => {
    const output = item.point === "output";
    const params = output
      ? { app_id: appId, text: item.text }
      : options.inputVariable !== undefined
        ? { app_id: appId, inputs: { [options.inputVariable]: item.text }, query: "" }
        : { app_id: appId, inputs: {}, query: item.text };
    const outcome = await callExtension(
      options.url,
      options.key,
      output ? "app.moderation.output" : "app.moderation.input",
      params,
      timeouts,
    );
    const result = requestorResult(outcome);
    const refused = output ? difyModerationOutputError(result) : difyModerationInputError(result);
    if (refused !== null) throw new Error(`Dify would fail this call: ${refused.split("\n")[0]!.slice(0, 200)}`);
    const reply = (result as { json: Record<string, unknown> }).json;
    return { flagged: flaggedOf(reply.flagged), ms: outcome.ms };
  };
}
