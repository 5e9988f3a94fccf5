import { z } from "zod";
import type { ParamsByPoint } from "./requests.ts";
import { ProtocolError } from "./requests.ts";

/** Dify's output moderation buffer (MODERATION_BUFFER_SIZE): the answer so far every 300 characters. */
export const DEFAULT_STREAM_BUFFER = 300;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The body of the playground's explain endpoint (`POST /api/playground/explain`): a moderation call
 * as Dify sends it (`point`, `params` with `app_id`), and how to replay it: `single` (default), or
 * `streamed` for output, as Dify's calls of a streamed answer every `buffer_size` characters.
 */
export const explainBodySchema = z
  .strictObject({
    point: z.string({ error: "expected a string" }),
    params: z.custom<Record<string, unknown>>(isObject, { error: "expected an object" }),
    mode: z.enum(["single", "streamed"], { error: 'expected "single" or "streamed"' }).default("single"),
    buffer_size: z
      .number({ error: "expected a whole number of characters from 1 to 1000000" })
      .int("expected a whole number of characters from 1 to 1000000")
      .min(1, "expected a whole number of characters from 1 to 1000000")
      .max(1_000_000, "expected a whole number of characters from 1 to 1000000")
      .optional(),
  })
  .superRefine((body, ctx) => {
    if (body.mode === "streamed" && body.point === "app.moderation.input") {
      ctx.addIssue({
        code: "custom",
        path: ["mode"],
        message: "Dify streams only output moderation; use mode single with app.moderation.input",
      });
    }
    if (body.buffer_size !== undefined && body.mode !== "streamed") {
      ctx.addIssue({ code: "custom", path: ["buffer_size"], message: "only used with mode streamed" });
    }
  });

export type ExplainBody = z.output<typeof explainBodySchema>;

/** A validated explain request: a moderation call as Dify would send it, and how to replay it. */
export type ExplainRequest =
  | { point: "app.moderation.input"; params: ParamsByPoint["app.moderation.input"]; mode: "single" }
  | {
      point: "app.moderation.output";
      params: ParamsByPoint["app.moderation.output"];
      mode: "single" | "streamed";
      /** Characters between the streamed calls (Dify's MODERATION_BUFFER_SIZE). */
      bufferSize: number;
    };

/**
 * Checks an explain body's shape (not yet its point or params, which the service checks against
 * what it serves); throws a `ProtocolError` naming the first bad field.
 */
export function parseExplainBody(body: unknown): ExplainBody {
  if (!isObject(body)) throw new ProtocolError("", "body must be a JSON object: {point, params, mode?, buffer_size?}");
  const result = explainBodySchema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    throw new ProtocolError(
      "",
      `unknown field ${issue.keys[0]!.slice(0, 40)}; the body takes point, params, mode and buffer_size`,
    );
  }
  const field = issue.path.map(String).join(".");
  const missing = issue.path.length === 1 && body[field] === undefined;
  throw new ProtocolError(field, missing ? `required, ${issue.message}` : issue.message);
}
