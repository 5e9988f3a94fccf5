/**
 * Time in tests that run on a shared machine, possibly loaded (another full test run beside them on
 * two cores, load 20 and more). Two kinds of test meet a timeout, and each has its own rule:
 *
 * - A test whose upstream must answer (a fake on loopback, answering at once) gives the code under
 *   test {@link GENEROUS_TIMEOUT_MS}: never reached unless the fake is told to hang, so a late
 *   answer on a busy machine is still an answer, not a timeout that fails the case open or closed.
 * - A test that checks a time budget (a hang, a stall, a 30 s `retry-after` must end the call in
 *   time) gives a short timeout, so the hang costs little, and checks the call's duration with
 *   {@link loadedBudgetMs}: what it must catch is a wait far past the budget (no timeout at all,
 *   a retry-after honoured, retries without a cap), never a few hundred milliseconds of scheduling.
 *   Exact attempt counts are checked by counting the fake's requests, which no load changes.
 */

/** An upstream timeout for tests in which the upstream answers: 10 s, never reached by a fake that answers. */
export const GENEROUS_TIMEOUT_MS = 10_000;

/** Room on top of a budget for a loaded machine: the budget once more, and 5 s. */
const LOADED_EXTRA_MS = 5_000;

/**
 * The longest a call whose worst case is `budgetMs` may take in a test: twice the budget and 5 s.
 * Measured at load 20+, calls ended well inside it; a missing bound (a hang, a 30 s retry-after)
 * does not.
 */
export function loadedBudgetMs(budgetMs: number): number {
  return 2 * budgetMs + LOADED_EXTRA_MS;
}
