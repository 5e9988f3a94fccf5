import { ConfigError } from "@dify-ext/runtime";
import { expect } from "vitest";

/**
 * The problems of a configuration read that must fail: runs `read` (an app's `loadConfig(env)`, an
 * engine module's `read(env)`, ...), expects it to throw a `ConfigError`, and returns its lines,
 * one per bad variable, each starting with the variable's name. Fails the test when `read` returns
 * or throws anything else.
 *
 * @example expect(problemsOf(() => loadConfig({ PORT: "http" }))).toEqual(["PORT: expected ..."]);
 */
export function problemsOf(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

/** The variable names of `problems` (the text before each line's first colon), sorted. */
export const problemNames = (problems: readonly string[]): string[] =>
  problems.map((line) => line.split(":")[0] ?? "").sort();
