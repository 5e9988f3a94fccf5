import type { RequestorResult } from "./dify-client.ts";
import { pythonRepr, pythonTypeName } from "./python-json.ts";

/**
 * How Dify's own code reacts to a requestor result, point by point: the exact text of the exception
 * it raises (`null` when it accepts the reply). These reproduce Dify 1.x's source: the ping check of
 * `APIBasedExtensionService._ping_connection`, the pydantic models `ModerationInputsResult` /
 * `ModerationOutputsResult` (pydantic 2, lax mode), and `ApiExternalDataTool.query`.
 */

/** The pydantic version whose error links Dify prints (`https://errors.pydantic.dev/<v>/v/<type>`). */
export const PYDANTIC_DOCS_VERSION = "2.11";

/** `connection error: …`, the message that fails saving the extension in Dify, or `null` when saved. */
export function difyPingError(result: RequestorResult): string | null {
  if (!result.ok) return `connection error: ${result.error}`;
  const reply = result.json;
  if (pythonTypeName(reply) !== "dict") {
    return `connection error: '${pythonTypeName(reply)}' object has no attribute 'get'`;
  }
  if ((reply as Record<string, unknown>).result === "pong") return null;
  return `connection error: ${pythonRepr(reply)}`;
}

interface FieldSpec {
  name: string;
  kind: "bool" | "action" | "str" | "dict";
  required?: boolean;
}

const INPUT_FIELDS: readonly FieldSpec[] = [
  { name: "flagged", kind: "bool" },
  { name: "action", kind: "action", required: true },
  { name: "preset_response", kind: "str" },
  { name: "inputs", kind: "dict" },
  { name: "query", kind: "str" },
];

const OUTPUT_FIELDS: readonly FieldSpec[] = [
  { name: "flagged", kind: "bool" },
  { name: "action", kind: "action", required: true },
  { name: "preset_response", kind: "str" },
  { name: "text", kind: "str" },
];

const TRUE_WORDS = ["1", "on", "t", "true", "y", "yes"];
const FALSE_WORDS = ["0", "off", "f", "false", "n", "no"];

/** pydantic truncates an input's repr longer than 50 characters to its first 25 and last 24. */
function inputValue(value: unknown): string {
  const repr = Array.from(pythonRepr(value));
  if (repr.length <= 50) return repr.join("");
  return `${repr.slice(0, 25).join("")}...${repr.slice(-24).join("")}`;
}

function fieldError(spec: FieldSpec, value: unknown): { message: string; type: string } | null {
  switch (spec.kind) {
    case "bool":
      if (typeof value === "boolean") return null;
      if (typeof value === "number" && (value === 0 || value === 1)) return null;
      if (typeof value === "string" && [...TRUE_WORDS, ...FALSE_WORDS].includes(value.toLowerCase())) return null;
      if (typeof value === "number" || typeof value === "string") {
        return { message: "Input should be a valid boolean, unable to interpret input", type: "bool_parsing" };
      }
      return { message: "Input should be a valid boolean", type: "bool_type" };
    case "action":
      if (value === "direct_output" || value === "overridden") return null;
      return { message: "Input should be 'direct_output' or 'overridden'", type: "enum" };
    case "str":
      return typeof value === "string" ? null : { message: "Input should be a valid string", type: "string_type" };
    case "dict":
      return pythonTypeName(value) === "dict"
        ? null
        : { message: "Input should be a valid dictionary", type: "dict_type" };
  }
}

function pydanticError(model: string, fields: readonly FieldSpec[], reply: Record<string, unknown>): string | null {
  const lines: string[] = [];
  let count = 0;
  for (const spec of fields) {
    const link = (type: string) =>
      `    For further information visit https://errors.pydantic.dev/${PYDANTIC_DOCS_VERSION}/v/${type}`;
    if (!Object.hasOwn(reply, spec.name)) {
      if (!spec.required) continue;
      count++;
      lines.push(
        spec.name,
        `  Field required [type=missing, input_value=${inputValue(reply)}, input_type=dict]`,
        link("missing"),
      );
      continue;
    }
    const value = reply[spec.name];
    const problem = fieldError(spec, value);
    if (!problem) continue;
    count++;
    lines.push(
      spec.name,
      `  ${problem.message} [type=${problem.type}, input_value=${inputValue(value)}, input_type=${pythonTypeName(value)}]`,
      link(problem.type),
    );
  }
  if (count === 0) return null;
  return [`${count} validation error${count === 1 ? "" : "s"} for ${model}`, ...lines].join("\n");
}

function moderationError(model: string, fields: readonly FieldSpec[], result: RequestorResult): string | null {
  if (!result.ok) return result.error;
  if (pythonTypeName(result.json) !== "dict") {
    return `core.moderation.base.${model}() argument after ** must be a mapping, not ${pythonTypeName(result.json)}`;
  }
  return pydanticError(model, fields, result.json as Record<string, unknown>);
}

/** What `ModerationInputsResult(**reply)` raises in Dify (fails the end user's message), or `null`. */
export function difyModerationInputError(result: RequestorResult): string | null {
  return moderationError("ModerationInputsResult", INPUT_FIELDS, result);
}

/** What `ModerationOutputsResult(**reply)` raises in Dify (logged; the answer goes out unmoderated), or `null`. */
export function difyModerationOutputError(result: RequestorResult): string | null {
  return moderationError("ModerationOutputsResult", OUTPUT_FIELDS, result);
}

/** What `ApiExternalDataTool.query` raises in Dify for the variable `variable` (fails the message), or `null`. */
export function difyExternalDataError(variable: string, result: RequestorResult): string | null {
  if (!result.ok) return result.error;
  const reply = result.json;
  const failed = (error: string) => `[External data tool] API query failed, variable: ${variable}, error: ${error}`;
  const type = pythonTypeName(reply);
  // `"result" not in reply` and `reply["result"]` on whatever json.loads returned.
  if (type === "dict") {
    const body = reply as Record<string, unknown>;
    if (!Object.hasOwn(body, "result")) return failed("result not found in response");
    return typeof body.result === "string" ? null : failed("result is not string");
  }
  if (type === "list") {
    if (!(reply as unknown[]).includes("result")) return failed("result not found in response");
    return "list indices must be integers or slices, not str";
  }
  if (type === "str") {
    if (!(reply as string).includes("result")) return failed("result not found in response");
    return "string indices must be integers, not 'str'";
  }
  return `argument of type '${type}' is not iterable`;
}
