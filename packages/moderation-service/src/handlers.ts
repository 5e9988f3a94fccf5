import type { ModerationPolicy } from "@dify-ext/moderation-engines";
import { clip, type PointHandler } from "@dify-ext/server";

/** Most characters of end users' text one log line carries (LOG_USER_TEXT): a client sizes the text. */
export const LOGGED_TEXT_LIMIT = 2_000;

/** Inputs as they go into a log line: JSON, clipped like the texts. */
function loggedInputs(inputs: Record<string, unknown>): string {
  return clip(JSON.stringify(inputs), LOGGED_TEXT_LIMIT);
}

/** The server's handlers for Dify's two moderation points. */
export interface ModerationHandlers {
  "app.moderation.input": PointHandler<"app.moderation.input">;
  "app.moderation.output": PointHandler<"app.moderation.output">;
}

/**
 * The two moderation handlers for the server's `handlers` option, wired to a policy. End users'
 * text goes into the request's log line only with `logUserText` (LOG_USER_TEXT, for debugging), and
 * at most `LOGGED_TEXT_LIMIT` characters of each part.
 */
export function moderationHandlers(
  policy: ModerationPolicy,
  options: { logUserText?: boolean } = {},
): ModerationHandlers {
  return {
    "app.moderation.input": (params, context) => {
      if (options.logUserText) {
        context.logFields.userText = {
          query: clip(params.query, LOGGED_TEXT_LIMIT),
          inputs: loggedInputs(params.inputs),
        };
      }
      return policy.moderateInput(params, context);
    },
    "app.moderation.output": (params, context) => {
      if (options.logUserText) context.logFields.userText = { text: clip(params.text, LOGGED_TEXT_LIMIT) };
      return policy.moderateOutput(params, context);
    },
  };
}
