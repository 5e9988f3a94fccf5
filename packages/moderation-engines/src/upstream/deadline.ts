/**
 * One upstream call under a hard deadline, with its outcome reported for metrics. SDK-free: the
 * `openai`-SDK engines (`sdk-call.ts`) and the plain-HTTP ones (`http-call.ts`) both run through it
 * and differ only in how they name a failure.
 */
import { EngineUnavailableError, type UpstreamEvent } from "../engine.ts";

export interface DeadlineOptions {
  /** Engine name on errors and metrics (`openai`, `guard`, `injection`). */
  engine: string;
  /** What answers, in messages: `OpenAI moderation`, `The guard model`, `The injection classifier`. */
  label: string;
  /** Hard limit of the whole call, retries included. */
  budgetMs: number;
  /** Aborted when the deadline passes; the caller also aborts it when nobody waits any more. */
  controller: AbortController;
  onUpstream?: (event: UpstreamEvent) => void;
}

/** What happened besides the error itself, for naming a failure. */
export interface FailureState {
  /** The deadline passed. */
  deadlineHit: boolean;
  /** The controller was aborted (by the deadline or by the caller). */
  aborted: boolean;
}

/**
 * Runs `call` (bound to `options.controller.signal`) under a hard deadline: when `budgetMs`
 * passes, the controller is aborted and the call rejects at once, whatever the call is doing.
 * Failures become `EngineUnavailableError`s: those the call threw as such (or the controller's
 * abort reason, when the owner aborted it with one) pass through, others go through `describe`.
 * Reports the call's outcome and duration through `onUpstream`.
 */
export async function runWithDeadline<T>(
  call: () => Promise<T>,
  options: DeadlineOptions,
  describe: (error: unknown, state: FailureState) => EngineUnavailableError,
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
    const result = await Promise.race([pending, deadline]);
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
          : describe(error, { deadlineHit, aborted: controller.signal.aborted });
    report(deadlineHit || /timed out|did not answer/.test(unavailable.message) ? "timeout" : "error");
    throw unavailable;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An engine's time budget for the upstream calls of one batch (`budgetMs`, every retry and every
 * wait for a free slot included) and the errors it gives.
 */
export function upstreamBudget(options: {
  engine: string;
  label: string;
  budgetMs: number;
  /** Timeout of one attempt, and retries after a failed one, for the messages. */
  timeoutMs: number;
  maxRetries: number;
  onUpstream?: ((event: UpstreamEvent) => void) | undefined;
}) {
  const { engine, label, budgetMs, timeoutMs, maxRetries, onUpstream } = options;
  const outOfBudget = () =>
    new EngineUnavailableError(engine, `${label} did not answer within its ${budgetMs} ms budget`);
  return {
    budgetMs,
    /** The options of one call under the budget (`callWithDeadline`), aborting `controller`. */
    deadline: (controller: AbortController) => ({
      engine,
      label,
      budgetMs,
      timeoutMs,
      attempts: maxRetries + 1,
      controller,
      onUpstream,
    }),
    /** The error of a batch the caller aborted (the coalescing cache's `abortedError`). */
    aborted: (signal: AbortSignal) =>
      new EngineUnavailableError(engine, `${label} was aborted by the caller`, { cause: signal.reason }),
    /** Why a task queued behind the limiter never ran: the budget's error when the budget aborted it. */
    stopped: (controller: AbortController) => () =>
      controller.signal.reason instanceof EngineUnavailableError ? controller.signal.reason : outOfBudget(),
    /** Runs `start` with `controller` aborted when the budget passes, until what it started settles. */
    run<T>(controller: AbortController, start: () => Array<Promise<T>>): Array<Promise<T>> {
      const timer = setTimeout(() => controller.abort(outOfBudget()), budgetMs);
      const pending = start();
      Promise.allSettled(pending).then(() => clearTimeout(timer));
      return pending;
    },
  };
}
