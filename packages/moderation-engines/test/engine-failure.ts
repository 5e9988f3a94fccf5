import { inspect } from "node:util";
import { expect } from "vitest";
import { EngineUnavailableError } from "../src/engine.ts";

/**
 * The rejection of `promise` (an engine's `moderate`), asserting that it is an
 * EngineUnavailableError of `engine` in which none of `hidden` shows (the API key, a fragment of it):
 * not in the message, nor anywhere in the error and its cause chain.
 */
export async function engineFailure(
  promise: Promise<unknown>,
  engine: string,
  hidden: readonly string[],
): Promise<EngineUnavailableError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the engine to reject");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EngineUnavailableError);
  const unavailable = error as EngineUnavailableError;
  expect(unavailable.engine).toBe(engine);
  const everything = `${unavailable.message}\n${inspect(unavailable, { depth: 8 })}`;
  for (const secret of hidden) expect(everything).not.toContain(secret);
  return unavailable;
}
