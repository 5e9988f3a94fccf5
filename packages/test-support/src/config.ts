import { expect } from "vitest";

/**
 * The problems of a configuration read that must fail: runs `read` (an app's `loadConfig(env)`, an
 * engine module's `read(env)`, ...), expects it to throw a `ConfigError` (known by its name and its
 * `problems`: this kit does not depend on the runtime, which depends on packages tested with it),
 * and returns its lines,
 * one per bad variable, each starting with the variable's name. Fails the test when `read` returns
 * or throws anything else.
 *
 * @example expect(problemsOf(() => loadConfig({ PORT: "http" }))).toEqual(["PORT: expected ..."]);
 */
export function problemsOf(read: () => unknown): string[] {
  const { name, problems } = thrownBy(read, "a ConfigError") as { name?: unknown; problems?: unknown };
  expect(name).toBe("ConfigError");
  expect(Array.isArray(problems)).toBe(true);
  return [...(problems as string[])];
}

/**
 * What `run` throws (an engine refusing its options, a read refusing its env), to check its type
 * and fields; fails the test, saying `expected` was expected, when `run` returns.
 *
 * @example expect(thrownBy(() => createPiiEngine({ maskStyle: "hash" }))).toMatchObject({ option: "maskStyle" });
 */
export function thrownBy(run: () => unknown, expected = "an error"): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${expected}`);
}

/** The variable names of `problems` (the text before each line's first colon), sorted. */
export const problemNames = (problems: readonly string[]): string[] =>
  problems.map((line) => line.split(":")[0] ?? "").sort();

/** What {@link refusedTogether} reads besides the variables it expects refused. */
export interface RefusedTogetherOptions {
  /** Variables that are fine, read together with the bad ones. */
  valid?: Record<string, string>;
  /** Values (secrets, or what a user typed) that no problem may repeat. */
  hidden?: readonly string[];
}

/**
 * Reads `bad` (with `valid` besides) through `read` and expects it refused with one problem for
 * each variable of `bad`, all at once and none for another variable, and none of the `hidden`
 * values in any problem. Returns the problems, to check what they say.
 *
 * @example refusedTogether(loadConfig, { PORT: "http", KEYWORDS_MATCH: "fuzzy" }, { hidden: ["fuzzy"] });
 */
export function refusedTogether(
  read: (env: Record<string, string>) => unknown,
  bad: Record<string, string>,
  options: RefusedTogetherOptions = {},
): string[] {
  const problems = problemsOf(() => read({ ...options.valid, ...bad }));
  expect(problemNames(problems)).toEqual(Object.keys(bad).sort());
  for (const value of options.hidden ?? []) expect(problems.join("\n")).not.toContain(value);
  return problems;
}

/** The bounds of a whole-number setting, as an engine or a service declares them. */
export interface WholeNumberBounds {
  min: number;
  max: number;
}

/**
 * Expects `read` to take each variable's bounds from its setting (one definition): the minimum and
 * the maximum are read, one below and one above are refused with the one problem
 * `<variable>: expected a whole number from <min> to <max>`. `base` holds what `read` needs besides.
 */
export function expectBoundsOf(
  read: (env: Record<string, string>) => unknown,
  variables: Record<string, WholeNumberBounds>,
  base: Record<string, string> = {},
): void {
  for (const [name, { min, max }] of Object.entries(variables)) {
    for (const value of [min, max]) expect(() => read({ ...base, [name]: String(value) })).not.toThrow();
    for (const value of [min - 1, max + 1]) {
      expect(problemsOf(() => read({ ...base, [name]: String(value) }))).toEqual([
        `${name}: expected a whole number from ${min} to ${max}`,
      ]);
    }
  }
}
