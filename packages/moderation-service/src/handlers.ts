import type { ModerationPolicy } from "@dify-ext/moderation-engines";
import type { PointHandler } from "@dify-ext/server";

/** The server's handlers for Dify's two moderation points. */
export interface ModerationHandlers {
  "app.moderation.input": PointHandler<"app.moderation.input">;
  "app.moderation.output": PointHandler<"app.moderation.output">;
}

/**
 * The two moderation handlers for the server's `handlers` option, wired to a policy. End users'
 * text goes into the request's log line only with `logUserText` (LOG_USER_TEXT, for debugging).
 */
export function moderationHandlers(policy: ModerationPolicy, options: { logUserText?: boolean } = {}): ModerationHandlers {
  return {
    "app.moderation.input": (params, context) => {
      if (options.logUserText) context.logFields.userText = { query: params.query, inputs: params.inputs };
      return policy.moderateInput(params, context);
    },
    "app.moderation.output": (params, context) => {
      if (options.logUserText) context.logFields.userText = { text: params.text };
      return policy.moderateOutput(params, context);
    },
  };
}
