import { z } from "zod";

/** The four extension points Dify calls, exactly as Dify spells them. */
export const POINTS = [
  "ping",
  "app.moderation.input",
  "app.moderation.output",
  "app.external_data_tool.query",
] as const;

export type Point = (typeof POINTS)[number];

/** A point that an app's handler answers (ping is answered by the server itself). */
export type HandlerPoint = Exclude<Point, "ping">;

export function isPoint(value: string): value is Point {
  return (POINTS as readonly string[]).includes(value);
}

/**
 * Dify's inputs: variable name → value. Values are usually strings but may be anything JSON. Checked
 * as a plain object and kept as parsed (not rebuilt), so every variable survives, even one named
 * `__proto__`, which a rebuilt record would drop.
 */
const inputsSchema = z.custom<Record<string, unknown>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  {
    error: (issue) =>
      `expected an object, got ${issue.input === null ? "null" : Array.isArray(issue.input) ? "array" : typeof issue.input}`,
  },
);

/**
 * Longest `app_id` accepted. Dify's app ids are UUIDs (36 characters); the limit leaves room for
 * other callers' ids and is the longest id a per-app settings file may name. A longer one is a 400
 * naming the limit: no app it could select exists, and bounding it keeps what a call makes the
 * service hold (caches, logs) small whatever the call carries.
 */
export const APP_ID_MAX_LENGTH = 200;

const appIdSchema = z
  .string()
  .max(APP_ID_MAX_LENGTH, {
    error: (issue) =>
      `${typeof issue.input === "string" ? `${issue.input.length} characters long; ` : ""}the limit is ${APP_ID_MAX_LENGTH} (Dify sends 36-character UUIDs)`,
  })
  .optional();

/** `query` is a string; Dify sends `""` when the app has none. `null` or absent is read as `""`. */
const querySchema = z
  .string()
  .nullish()
  .transform((value) => value ?? "");

export const pingParamsSchema = z.object({});

export const moderationInputParamsSchema = z.object({
  app_id: appIdSchema,
  inputs: inputsSchema.default({}),
  query: querySchema,
});

export const moderationOutputParamsSchema = z.object({
  app_id: appIdSchema,
  text: z.string(),
});

export const externalDataToolParamsSchema = z.object({
  app_id: appIdSchema,
  tool_variable: z.string().default(""),
  inputs: inputsSchema.default({}),
  query: querySchema,
});

export type PingParams = z.output<typeof pingParamsSchema>;
export type ModerationInputParams = z.output<typeof moderationInputParamsSchema>;
export type ModerationOutputParams = z.output<typeof moderationOutputParamsSchema>;
export type ExternalDataToolParams = z.output<typeof externalDataToolParamsSchema>;

/** The params schema of each point. */
export const paramsSchemas = {
  ping: pingParamsSchema,
  "app.moderation.input": moderationInputParamsSchema,
  "app.moderation.output": moderationOutputParamsSchema,
  "app.external_data_tool.query": externalDataToolParamsSchema,
} as const satisfies Record<Point, z.ZodType>;

/** Params type of each point. */
export interface ParamsByPoint {
  ping: PingParams;
  "app.moderation.input": ModerationInputParams;
  "app.moderation.output": ModerationOutputParams;
  "app.external_data_tool.query": ExternalDataToolParams;
}

/** A request that failed validation; `field` is a dotted path such as `params.inputs`. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly field: string,
    readonly expected: string,
  ) {
    super(field ? `${field}: ${expected}` : expected);
  }
}

/** The envelope of every call: `{"point": "...", "params": {...}}`. */
export interface Envelope {
  point: string;
  params: unknown;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Checks the envelope of a parsed JSON body. The point is returned as-is, so a caller can answer an
 * unknown point with the list of the points it supports.
 */
export function parseEnvelope(body: unknown): Envelope {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ProtocolError("", `the body must be a JSON object, got ${typeName(body)}`);
  }
  const { point, params } = body as Record<string, unknown>;
  if (point === undefined) throw new ProtocolError("point", "required, expected a string");
  if (typeof point !== "string") {
    throw new ProtocolError("point", `expected a string, got ${typeName(point)}`);
  }
  if (params === undefined && point === "ping") return { point, params: {} };
  if (params === undefined) throw new ProtocolError("params", "required, expected an object");
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new ProtocolError("params", `expected an object, got ${typeName(params)}`);
  }
  return { point, params };
}

/** Validates the params of a known point; the error names the first bad field. */
export function parseParams<P extends Point>(point: P, params: unknown): ParamsByPoint[P] {
  const result = paramsSchemas[point].safeParse(params);
  if (result.success) return result.data as ParamsByPoint[P];
  const issue = result.error.issues[0]!;
  const field = ["params", ...issue.path.map(String)].join(".");
  throw new ProtocolError(field, describeIssue(issue, params));
}

function describeIssue(issue: z.core.$ZodIssue, params: unknown): string {
  if (issue.code === "invalid_type") {
    const actual = valueAt(params, issue.path);
    if (actual === undefined) return `required, expected ${article(issue.expected)}`;
    return `expected ${article(issue.expected)}, got ${typeName(actual)}`;
  }
  return issue.message;
}

function article(expected: string): string {
  if (expected === "record") return "an object";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
