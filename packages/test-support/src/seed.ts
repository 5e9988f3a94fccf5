import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import fc from "fast-check";
import { expect } from "vitest";

/**
 * The fast-check settings every property and fuzz test runs with. By default a property runs its
 * CI number of runs with a fixed seed derived from its name, so CI is repeatable; the environment
 * changes that for longer local hunts (`pnpm fuzz`):
 *
 * - `FUZZ_SEED`: a whole number to replay, or `random` for a new seed per property;
 * - `FUZZ_RUNS`: the number of runs of every property; else `FUZZ_SCALE`: a multiplier of each
 *   property's CI number.
 */
export interface PropertySettings<T> {
  seed: number;
  numRuns: number;
  /** Counterexamples earlier runs found, replayed first on every run. */
  examples?: T[];
  /** Throws fast-check's report, led by the seed, the path and the command that replays them. */
  reporter: (details: fc.RunDetails<T>) => void;
}

/** A seed fast-check accepts (a 32-bit integer), from a property's name: FNV-1a. */
function seedFromName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash & 0x7fffffff;
}

function seedFor(name: string): { seed: number; origin: string } {
  const value = process.env.FUZZ_SEED;
  if (value === undefined || value === "") return { seed: seedFromName(name), origin: "fixed" };
  if (value === "random") return { seed: Math.floor(Math.random() * 0x80000000), origin: "random" };
  if (/^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return { seed: Number(value), origin: "FUZZ_SEED" };
  throw new Error(`FUZZ_SEED must be a whole number or "random", got ${JSON.stringify(value)}`);
}

/**
 * The number of runs of a property whose CI number is `ciRuns`: `FUZZ_RUNS` if set (so a replay
 * command wins over a scale left in the environment), else `ciRuns` × `FUZZ_SCALE`.
 */
export function propertyRuns(ciRuns: number): number {
  const runs = process.env.FUZZ_RUNS || undefined;
  const scale = process.env.FUZZ_SCALE || undefined;
  if (runs !== undefined) {
    if (!/^\d+$/.test(runs) || Number(runs) < 1)
      throw new Error(`FUZZ_RUNS must be a whole number of at least 1, got ${JSON.stringify(runs)}`);
    return Number(runs);
  }
  if (scale !== undefined) {
    if (!(Number(scale) > 0) || !Number.isFinite(Number(scale)))
      throw new Error(`FUZZ_SCALE must be a number above 0, got ${JSON.stringify(scale)}`);
    return Math.max(1, Math.round(ciRuns * Number(scale)));
  }
  return ciRuns;
}

/** A test timeout for a property test that needs `ciMs` at `ciRuns` runs, grown with the number of runs. */
export function propertyTimeout(ciMs: number, ciRuns: number): number {
  return Math.max(ciMs, Math.ceil((ciMs * propertyRuns(ciRuns)) / ciRuns));
}

/** The command that reruns the current test file with this seed and number of runs. */
function replayCommand(seed: number, numRuns: number): string {
  const testPath = expect.getState().testPath;
  const env = `FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`;
  if (testPath === undefined) return `${env} pnpm fuzz`;
  let dir = dirname(testPath);
  while (dirname(dir) !== dir) {
    try {
      const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (name) return `${env} pnpm --filter ${name} exec vitest run ${relative(dir, testPath)}`;
    } catch {
      // no package.json here: look one level up
    }
    dir = dirname(dir);
  }
  return `${env} pnpm exec vitest run ${testPath}`;
}

/**
 * Settings for `fc.assert` of the property called `name` (unique in the repository: it picks the
 * default seed), which runs `runs` times in CI. Logs the seed and runs; on failure the error starts
 * with the seed, the counterexample's path and the command that replays it. `examples` are the
 * counterexamples earlier runs found: keep each one there once found, so it is checked on every run.
 */
export function propertySettings<T>(name: string, options: { runs: number; examples?: T[] }): PropertySettings<T> {
  const { seed, origin } = seedFor(name);
  const numRuns = propertyRuns(options.runs);
  console.log(`property "${name}": seed ${seed} (${origin}), ${numRuns} runs`);
  return {
    seed,
    numRuns,
    ...(options.examples ? { examples: options.examples } : {}),
    reporter: (details) => {
      if (!details.failed) return;
      const where = details.counterexamplePath === null ? "" : `, path "${details.counterexamplePath}"`;
      const message = `property "${name}" failed with seed ${seed}${where}; replay: ${replayCommand(seed, numRuns)}\n${fc.defaultReportMessage(details)}`;
      throw new Error(message, { cause: details.errorInstance });
    },
  };
}
