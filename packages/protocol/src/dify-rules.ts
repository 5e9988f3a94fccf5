import type { Point } from "./requests.ts";

/**
 * Dify's own acceptance rules for a reply, as Dify 1.15 applies them (see docs/protocol.md).
 * Returns every problem found; an empty list means Dify accepts the reply and uses it as intended.
 * `params` is the request's params, needed to check that `overridden` echoes every input.
 */
export function difyReplyProblems(point: Point, reply: unknown, params?: unknown): string[] {
  if (typeof reply !== "object" || reply === null || Array.isArray(reply)) {
    return [
      `the reply must be a JSON object, got ${reply === null ? "null" : Array.isArray(reply) ? "array" : typeof reply}`,
    ];
  }
  const body = reply as Record<string, unknown>;
  switch (point) {
    case "ping":
      return body.result === "pong" ? [] : [`ping must answer {"result":"pong"}, got ${JSON.stringify(reply)}`];
    case "app.external_data_tool.query":
      if (!("result" in body)) return ["result not found in response"];
      return typeof body.result === "string" ? [] : ["result is not string"];
    case "app.moderation.input":
      return moderationProblems(body, ["inputs", "query"], params);
    case "app.moderation.output":
      return moderationProblems(body, ["text"], params);
  }
}

function moderationProblems(
  body: Record<string, unknown>,
  overrideFields: readonly string[],
  params: unknown,
): string[] {
  const problems: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    if (value === null) problems.push(`${field} is null: Dify rejects null, omit the field instead`);
  }
  if (typeof body.flagged !== "boolean") problems.push("flagged must be a boolean");
  if (body.action === undefined) {
    problems.push("action is missing: Dify requires it even when flagged is false");
  } else if (body.action === "overrided") {
    problems.push('action "overrided" is the spelling of Dify before 0.8; current Dify needs "overridden"');
  } else if (body.action !== "direct_output" && body.action !== "overridden") {
    problems.push(`action must be "direct_output" or "overridden", got ${JSON.stringify(body.action)}`);
  }
  for (const field of ["preset_response", "query", "text"]) {
    if (body[field] !== undefined && body[field] !== null && typeof body[field] !== "string") {
      problems.push(`${field} must be a string`);
    }
  }
  const inputs = body.inputs;
  if (inputs !== undefined && inputs !== null && (typeof inputs !== "object" || Array.isArray(inputs))) {
    problems.push("inputs must be an object");
  }
  if (body.flagged !== true) return problems;

  if (body.action === "direct_output" && typeof body.preset_response !== "string") {
    problems.push("flagged with direct_output but no preset_response: Dify would answer with an empty text");
  }
  if (body.action === "overridden") {
    for (const field of overrideFields) {
      if (body[field] === undefined) {
        problems.push(`overridden without ${field}: Dify replaces ${field} wholesale, so it would be emptied`);
      }
    }
    const requestInputs = (params as { inputs?: unknown } | undefined)?.inputs;
    if (
      overrideFields.includes("inputs") &&
      typeof inputs === "object" &&
      inputs !== null &&
      typeof requestInputs === "object" &&
      requestInputs !== null
    ) {
      for (const name of Object.keys(requestInputs)) {
        if (!Object.hasOwn(inputs, name)) {
          problems.push(`overridden inputs lack "${name}": Dify would drop that variable`);
        }
      }
    }
  }
  return problems;
}
