/**
 * One upstream call through the `openai` SDK under a hard deadline, with every failure turned into
 * an `EngineUnavailableError` that names the kind of failure and never carries the reply's body
 * or the API key. Shared by the OpenAI engine and the guard engine.
 */
import OpenAI from "openai";
import { EngineUnavailableError, type UpstreamEvent } from "../engine.ts";
import { networkCode, ReplyTooLargeError } from "./fetch.ts";

export interface DeadlineCallOptions {
  /** Engine name on errors and metrics (`openai`, `guard`). */
  engine: string;
  /** What answers, in messages: `OpenAI moderation`, `The guard model`. */
  label: string;
  /** Hard limit of the whole call, retries included. */
  budgetMs: number;
  /** Timeout of one attempt, for the message. */
  timeoutMs: number;
  /** Attempts the SDK makes at most, for the message. */
  attempts: number;
  /** Aborted when the deadline passes; the caller also aborts it when nobody waits any more. */
  controller: AbortController;
  onUpstream?: (event: UpstreamEvent) => void;
}

/**
 * Runs `call` (an SDK request bound to `options.controller.signal`) and `check` on its result under
 * a hard deadline. The SDK's timeout covers each attempt only until the headers arrive, and its
 * retry sleep cannot be interrupted, so the deadline is what guarantees the bound. Reports the
 * call's outcome and duration through `onUpstream`.
 */
export async function callWithDeadline<R, T>(
  call: () => Promise<R>,
  check: (result: R) => T,
  options: DeadlineCallOptions,
): Promise<T> {
  const { engine, label, budgetMs, controller } = options;
  let deadlineHit = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      deadlineHit = true;
      controller.abort();
      reject(new EngineUnavailableError(engine, `${label} did not answer within its ${budgetMs} ms budget`));
    }, budgetMs);
  });
  const started = performance.now();
  const report = (outcome: "ok" | "error" | "timeout") =>
    options.onUpstream?.({ kind: "call", upstream: engine, outcome, seconds: (performance.now() - started) / 1000 });
  try {
    const pending = call();
    pending.catch(() => {});
    const result = check(await Promise.race([pending, deadline]));
    report("ok");
    return result;
  } catch (error) {
    // An owner that aborts the controller for its own deadline gives the error as the abort's reason.
    const reason: unknown = controller.signal.reason;
    const unavailable =
      error instanceof EngineUnavailableError
        ? error
        : reason instanceof EngineUnavailableError
          ? reason
          : sdkFailure(error, { ...options, deadlineHit, aborted: controller.signal.aborted });
    report(deadlineHit || /timed out|did not answer/.test(unavailable.message) ? "timeout" : "error");
    throw unavailable;
  } finally {
    clearTimeout(timer);
  }
}

/** Turns whatever the SDK threw into an error naming the kind of failure, without body or key. */
export function sdkFailure(
  error: unknown,
  state: Pick<DeadlineCallOptions, "engine" | "label" | "budgetMs" | "timeoutMs" | "attempts"> & {
    deadlineHit: boolean;
    aborted: boolean;
  },
): EngineUnavailableError {
  const { label } = state;
  const fail = (message: string, cause?: unknown) =>
    new EngineUnavailableError(state.engine, message, cause === undefined ? undefined : { cause });
  const attempts = state.attempts > 1 ? ` (${state.attempts} attempts)` : "";
  if (state.deadlineHit) return fail(`${label} did not answer within its ${state.budgetMs} ms budget`);
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return fail(`${label} timed out after ${state.timeoutMs} ms${attempts}`);
  }
  if (error instanceof OpenAI.APIUserAbortError || state.aborted) {
    return fail(`${label} was aborted by the caller`);
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const code = networkCode(error);
    return fail(`${label} could not connect${code ? ` (${code})` : ""}${attempts}`);
  }
  if (error instanceof OpenAI.APIError && typeof error.status === "number") {
    // The SDK's message repeats the upstream body (OpenAI's 401 even echoes part of the key).
    const hint =
      error.status === 401 || error.status === 403
        ? " (check the API key)"
        : error.status === 429
          ? " (rate limited)"
          : "";
    return fail(`${label} answered ${error.status}${hint}`);
  }
  if (error instanceof ReplyTooLargeError) return fail(error.message);
  if (error instanceof SyntaxError) return fail(`${label} answered with a malformed body: invalid JSON`);
  const code = networkCode(error);
  return fail(`${label} failed while reading the reply${code ? ` (${code})` : ""}`);
}
