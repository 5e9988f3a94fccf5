import { ConfigError, type Env } from "@dify-ext/runtime";
import type { AnyEngineModule } from "../engine-module.ts";
import { byRank, ENGINES } from "../engines/index.ts";

/** Default of `MODERATION_ENGINES` in the composite app: the registered engines that need no account. */
export const DEFAULT_ENGINES: readonly string[] = ENGINES.filter((module) => module.runsByDefault).map(
  (module) => module.name,
);

function namesIn(value: string): string[] {
  return value
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * Reads `MODERATION_ENGINES` (comma-separated, any order, any case; `fallback` when unset) and
 * returns the engines cheapest first. Throws a `ConfigError` for an unknown, repeated or missing name.
 */
export function readEngineList(
  env: Env,
  fallback: readonly string[],
  modules: readonly AnyEngineModule[] = ENGINES,
): string[] {
  const known = byRank(modules).map((module) => module.name);
  const value = env.MODERATION_ENGINES?.trim();
  if (!value) return known.filter((name) => fallback.includes(name));
  const names = namesIn(value);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!known.includes(name)) {
      problems.push(`unknown engine "${name.slice(0, 40)}"; expected any of ${known.join(", ")}`);
    } else if (seen.has(name)) {
      problems.push(`engine "${name}" is listed twice`);
    }
    seen.add(name);
  }
  if (names.length === 0) problems.push(`expected at least one of ${known.join(", ")}`);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `MODERATION_ENGINES: ${problem}`));
  return known.filter((name) => seen.has(name));
}

/**
 * The known engines `MODERATION_ENGINES` names, leniently (unknown names ignored): which engines'
 * variables to read, so a start-up with a bad MODERATION_ENGINES still names every other bad variable.
 */
export function enginesNamedIn(
  env: Env,
  fallback: readonly string[],
  modules: readonly AnyEngineModule[] = ENGINES,
): string[] {
  const value = env.MODERATION_ENGINES?.trim();
  const names = value ? namesIn(value) : fallback;
  return byRank(modules)
    .map((module) => module.name)
    .filter((name) => names.includes(name));
}
