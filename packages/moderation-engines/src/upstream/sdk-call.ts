/**
 * One upstream call through the `openai` SDK under a hard deadline (`deadline.ts`), with every
 * failure turned into an `EngineUnavailableError` that names the kind of failure and never carries
 * the reply's body or the API key. Shared by the OpenAI engine and the guard engine.
 */
import OpenAI from "openai";
import { EngineUnavailableError } from "../engine.ts";
import { type DeadlineOptions, runWithDeadline } from "./deadline.ts";
import {
  boundedRetryFetch,
  cappedReplyFetch,
  networkCode,
  ReplyTooLargeError,
  statusHint,
  type WarnLogger,
} from "./fetch.ts";

export interface DeadlineCallOptions extends DeadlineOptions {
  /** Timeout of one attempt, for the message. */
  timeoutMs: number;
  /** Attempts the SDK makes at most, for the message. */
  attempts: number;
}

/** What {@link createSdkClient} needs. */
export interface SdkClientOptions {
  /** Engine name on warnings (`openai`, `guard`). */
  engine: string;
  /** What answers, in messages. */
  label: string;
  /** Sent as `Authorization: Bearer`; without one no Authorization header is sent. */
  apiKey?: string;
  baseURL: string;
  timeoutMs: number;
  maxRetries: number;
  fetch?: typeof fetch;
  logger?: WarnLogger;
}

/**
 * An `openai` SDK client that reads nothing from the environment, logs nothing, retries only within
 * the budget (`boundedRetryFetch`) and reads no reply past the cap (`cappedReplyFetch`).
 */
export function createSdkClient(options: SdkClientOptions): OpenAI {
  const baseFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return new OpenAI({
    // The SDK needs a key; without one the Authorization header is removed below.
    apiKey: options.apiKey ?? "no-key",
    baseURL: options.baseURL,
    // Explicit values so the SDK reads nothing (OPENAI_API_KEY, OPENAI_ORG_ID) from the environment.
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    // The SDK's debug logs would carry the end user's text.
    logLevel: "off",
    ...(options.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
    fetch: boundedRetryFetch(cappedReplyFetch(baseFetch, options.label), options.logger, options.engine, options.label),
  });
}

/**
 * Runs `call` (an SDK request bound to `options.controller.signal`) and `check` on its result under
 * a hard deadline (`runWithDeadline`). The SDK's timeout covers each attempt only until the headers
 * arrive, and its retry sleep cannot be interrupted, so the deadline is what guarantees the bound.
 */
export function callWithDeadline<R, T>(
  call: () => Promise<R>,
  check: (result: R) => T,
  options: DeadlineCallOptions,
): Promise<T> {
  return runWithDeadline(
    async () => check(await call()),
    options,
    (error, state) => sdkFailure(error, { ...options, ...state }),
  );
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
    return fail(`${label} answered ${error.status}${statusHint(error.status)}`);
  }
  if (error instanceof ReplyTooLargeError) return fail(error.message);
  if (error instanceof SyntaxError) return fail(`${label} answered with a malformed body: invalid JSON`);
  const code = networkCode(error);
  return fail(`${label} failed while reading the reply${code ? ` (${code})` : ""}`);
}
