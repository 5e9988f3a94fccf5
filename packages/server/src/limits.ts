import { HttpError } from "./errors.ts";

/** Limits on what one call may carry, beyond the body size. */
export interface ContentLimits {
  /** Most input variables in one call. */
  maxInputs: number;
  /** Longest string (query, text, or input value), in characters. */
  maxTextLength: number;
  /** Deepest nesting of an input value (objects and lists). */
  maxDepth: number;
}

export const DEFAULT_CONTENT_LIMITS: ContentLimits = { maxInputs: 256, maxTextLength: 262_144, maxDepth: 32 };

/**
 * Checks a call's params against the limits before any work is done, so an oversized call gets a
 * clear 400 instead of slow work. Walks values without recursion, so no input can exhaust the stack.
 */
export function checkContentLimits(params: Record<string, unknown>, limits: ContentLimits): void {
  for (const field of ["query", "text"]) {
    const value = params[field];
    if (typeof value === "string" && value.length > limits.maxTextLength) {
      throw tooLong(`params.${field}`, value.length, limits.maxTextLength);
    }
  }
  const inputs = params.inputs;
  if (typeof inputs !== "object" || inputs === null) return;
  const names = Object.keys(inputs);
  if (names.length > limits.maxInputs) {
    throw new HttpError("too_many_inputs", `params.inputs has ${names.length} variables; the limit is ${limits.maxInputs}`);
  }
  for (const name of names) {
    const stack: Array<[unknown, number]> = [[(inputs as Record<string, unknown>)[name], 1]];
    while (stack.length > 0) {
      const [value, depth] = stack.pop()!;
      if (typeof value === "string") {
        if (value.length > limits.maxTextLength) throw tooLong(`params.inputs.${name.slice(0, 60)}`, value.length, limits.maxTextLength);
      } else if (typeof value === "object" && value !== null) {
        if (depth > limits.maxDepth) {
          throw new HttpError("too_deep", `params.inputs.${name.slice(0, 60)} is nested deeper than the limit of ${limits.maxDepth} levels`);
        }
        for (const child of Object.values(value)) stack.push([child, depth + 1]);
      }
    }
  }
}

function tooLong(field: string, length: number, limit: number): HttpError {
  return new HttpError("text_too_long", `${field} is ${length} characters long; the limit is ${limit}`);
}
