import { ConfigError, type Env } from "@dify-ext/runtime";

/** The engines a moderation app can run, cheapest first: that is also the order they run in. */
export const ENGINE_NAMES = ["keywords", "obscenity", "pii", "openai", "guard"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Default of `MODERATION_ENGINES` in the composite app: the engines that need no account. */
export const DEFAULT_ENGINES: readonly EngineName[] = ["keywords", "obscenity"];

const isEngineName = (name: string): name is EngineName => (ENGINE_NAMES as readonly string[]).includes(name);

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
export function readEngineList(env: Env, fallback: readonly EngineName[]): EngineName[] {
  const value = env.MODERATION_ENGINES?.trim();
  if (!value) return ENGINE_NAMES.filter((name) => fallback.includes(name));
  const names = namesIn(value);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!isEngineName(name)) {
      problems.push(`unknown engine "${name.slice(0, 40)}"; expected any of ${ENGINE_NAMES.join(", ")}`);
    } else if (seen.has(name)) {
      problems.push(`engine "${name}" is listed twice`);
    }
    seen.add(name);
  }
  if (names.length === 0) problems.push(`expected at least one of ${ENGINE_NAMES.join(", ")}`);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `MODERATION_ENGINES: ${problem}`));
  return ENGINE_NAMES.filter((name) => seen.has(name));
}

/**
 * The known engines `MODERATION_ENGINES` names, leniently (unknown names ignored): which engines'
 * variables to read, so a start-up with a bad MODERATION_ENGINES still names every other bad variable.
 */
export function enginesNamedIn(env: Env, fallback: readonly EngineName[]): EngineName[] {
  const value = env.MODERATION_ENGINES?.trim();
  const names = value ? namesIn(value) : fallback;
  return ENGINE_NAMES.filter((name) => names.includes(name));
}
