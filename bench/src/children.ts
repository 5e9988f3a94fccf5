/**
 * Every process the harness starts (servers, load generators, engine benchmarks), so that none
 * outlives it: they are killed when the harness's process exits, and by {@link killChildren}, which
 * a test that gave up on a run calls (a timed-out test's run goes on in the background and would
 * leave its servers running; once killed, whatever it starts next is killed at once, so it fails
 * fast instead).
 */
import type { ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();
let closed = false;

/** Registers `child`; returns it. */
export function track<C extends ChildProcess>(child: C): C {
  if (closed) {
    child.kill("SIGKILL");
    return child;
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Kills every process still running (SIGKILL), and every one started from now on; returns how many it killed. */
export function killChildren(): number {
  closed = true;
  let killed = 0;
  for (const child of live) {
    if (child.kill("SIGKILL")) killed += 1;
  }
  live.clear();
  return killed;
}

process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
