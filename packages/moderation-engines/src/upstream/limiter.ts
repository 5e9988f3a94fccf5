/**
 * A concurrency limit for upstream requests: at most `max` run at once, the others wait in order.
 * A waiting task whose signal aborts leaves the queue at once and never runs.
 */
export interface Limiter {
  run<T>(signal: AbortSignal, task: () => Promise<T>, onAbort: () => Error): Promise<T>;
  /** Tasks running now (for tests). */
  readonly active: number;
}

export function createLimiter(max: number): Limiter {
  let active = 0;
  const queue: Array<() => void> = [];
  // A finished task hands its slot to the next waiting one, so no newcomer can take it in between.
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else active -= 1;
  };
  return {
    get active() {
      return active;
    },
    async run(signal, task, onAbort) {
      if (signal.aborted) throw onAbort();
      if (active >= max) {
        await new Promise<void>((resolve, reject) => {
          const turn = () => {
            signal.removeEventListener("abort", leave);
            resolve();
          };
          const leave = () => {
            const at = queue.indexOf(turn);
            if (at !== -1) queue.splice(at, 1);
            reject(onAbort());
          };
          queue.push(turn);
          signal.addEventListener("abort", leave, { once: true });
        });
      } else {
        active += 1;
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
