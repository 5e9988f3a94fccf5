import { clip, HttpError } from "./errors.ts";

/** Limits on what one call may carry, beyond the body size. */
export interface ContentLimits {
  /** Most input variables in one call. */
  maxInputs: number;
  /** Longest string (query, text, or input value), in characters. */
  maxTextLength: number;
  /** Deepest nesting of an input value (objects and lists). */
  maxDepth: number;
  /** Most strings in one call (query or text, and every string anywhere in the inputs). */
  maxTexts: number;
  /** Most characters of all those strings together. */
  maxTotalTextLength: number;
}

export const DEFAULT_CONTENT_LIMITS: ContentLimits = {
  maxInputs: 256,
  maxTextLength: 262_144,
  maxDepth: 32,
  maxTexts: 2_000,
  maxTotalTextLength: 1_048_576,
};

/**
 * Checks a call's params against the limits before any work is done, so an oversized call gets a
 * clear 400 instead of slow work. Walks values without recursion, so no input can exhaust the stack.
 */
export function checkContentLimits(params: Record<string, unknown>, limits: ContentLimits): void {
  let texts = 0;
  let total = 0;
  const count = (field: string, value: string) => {
    if (value.length > limits.maxTextLength) throw tooLong(field, value.length, limits.maxTextLength);
    texts += 1;
    total += value.length;
    if (texts > limits.maxTexts) {
      throw new HttpError(
        "too_many_texts",
        `params holds more than ${limits.maxTexts} strings; the limit is ${limits.maxTexts} (MAX_TEXTS)`,
      );
    }
    if (total > limits.maxTotalTextLength) {
      throw new HttpError(
        "text_too_long",
        `params holds more than ${limits.maxTotalTextLength} characters of text in all; the limit is ${limits.maxTotalTextLength} (MAX_TOTAL_TEXT_LENGTH)`,
      );
    }
  };
  for (const field of ["query", "text"]) {
    const value = params[field];
    if (typeof value === "string") count(`params.${field}`, value);
  }
  const inputs = params.inputs;
  if (typeof inputs !== "object" || inputs === null) return;
  const names = Object.keys(inputs);
  if (names.length > limits.maxInputs) {
    throw new HttpError(
      "too_many_inputs",
      `params.inputs has ${names.length} variables; the limit is ${limits.maxInputs} (MAX_INPUTS)`,
    );
  }
  for (const name of names) {
    const field = `params.inputs.${clip(name, 60)}`;
    const stack: Array<[unknown, number]> = [[(inputs as Record<string, unknown>)[name], 1]];
    while (stack.length > 0) {
      const [value, depth] = stack.pop()!;
      if (typeof value === "string") count(field, value);
      else if (typeof value === "object" && value !== null) {
        if (depth > limits.maxDepth) {
          throw new HttpError(
            "too_deep",
            `${field} is nested deeper than the limit of ${limits.maxDepth} levels (MAX_DEPTH)`,
          );
        }
        for (const child of Object.values(value)) stack.push([child, depth + 1]);
      }
    }
  }
}

function tooLong(field: string, length: number, limit: number): HttpError {
  return new HttpError(
    "text_too_long",
    `${field} is ${length} characters long; the limit is ${limit} (MAX_TEXT_LENGTH)`,
  );
}
