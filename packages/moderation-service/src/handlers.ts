import type { ModerationPolicy, PolicyCallContext, VerdictRecord } from "@dify-ext/moderation-engines";
import { APP_ID_MAX_LENGTH, OTHER_APP } from "@dify-ext/runtime";
import { clip, type HandlerContext, type PointHandler } from "@dify-ext/receive";
import { ENV_POLICY_VERSION, type SelectedPolicy } from "./policies/set.ts";

/** Most characters of end users' text one log line carries (LOG_USER_TEXT): a client sizes the text. */
export const LOGGED_TEXT_LIMIT = 2_000;

/** The message of the audit trail's lines: one per call whose verdict is not a pass. */
export const AUDIT_MESSAGE = "moderation verdict";

/** Inputs as they go into a log line: JSON, clipped like the texts. */
function loggedInputs(inputs: Record<string, unknown>): string {
  return clip(JSON.stringify(inputs), LOGGED_TEXT_LIMIT);
}

/** The server's handlers for Dify's two moderation points. */
export interface ModerationHandlers {
  "app.moderation.input": PointHandler<"app.moderation.input">;
  "app.moderation.output": PointHandler<"app.moderation.output">;
}

/** Picks a call's policy by its `app_id`. */
export type PolicySelector = (appId: string | undefined) => SelectedPolicy;

/**
 * The two moderation handlers for the server's `handlers` option: each call gets the policy of its
 * `app_id` (`select`), or `policy` for every call.
 *
 * - The request's log line and metrics get `app`: the app id when the policy file names it, else
 *   `other`, so callers cannot grow the metrics' label set.
 * - Every verdict other than a pass (shadow ones included) writes one audit line, `moderation
 *   verdict`: app id, point, verdict, mode, engines, the categories, list terms and engine rules
 *   that matched, the policy's version; the request id comes with the request's logger. The same
 *   fields go to the policy's webhook receiver, if it has one, except for the playground's calls
 *   (audited with `source: "playground"`, never sent). No user text in it, or in
 *   the request's line, unless `logUserText` (LOG_USER_TEXT, for debugging), and then at most
 *   `LOGGED_TEXT_LIMIT` characters of each part.
 */
export function moderationHandlers(
  select: PolicySelector | ModerationPolicy,
  options: { logUserText?: boolean } = {},
): ModerationHandlers {
  const fixed: SelectedPolicy | undefined =
    typeof select === "function"
      ? undefined
      : { policy: select, app: OTHER_APP, version: ENV_POLICY_VERSION, engines: [] };
  const pick: PolicySelector = typeof select === "function" ? select : () => fixed!;

  function callContext(
    appId: string | undefined,
    selected: SelectedPolicy,
    context: HandlerContext & Pick<PolicyCallContext, "trace" | "streamCache">,
  ): PolicyCallContext {
    context.logFields.app = selected.app;
    // Only the playground's explain asks for a trace.
    const fromPlayground = context.trace !== undefined;
    return {
      requestId: context.requestId,
      logger: context.logger,
      logFields: context.logFields,
      // The playground's explain asks the policy for a trace, and replays with its own stream
      // cache, through the handler's context.
      ...(context.trace && { trace: context.trace }),
      ...(context.streamCache && { streamCache: context.streamCache }),
      onVerdict(record: VerdictRecord) {
        if (record.verdict === "pass") return;
        const fields = {
          appId: appId === undefined ? null : clip(appId, APP_ID_MAX_LENGTH),
          app: selected.app,
          ...record,
          policyVersion: selected.version,
          ...(options.logUserText && { userText: context.logFields.userText }),
          ...(fromPlayground && { source: "playground" }),
        };
        context.logger.info({ audit: "verdict", ...fields }, AUDIT_MESSAGE);
        // An operator's trial in the playground is audited (marked as such) but never sent to the
        // review receiver: its events are end users' verdicts, not the operator's experiments.
        if (fromPlayground) return;
        // Queued, never awaited: a slow or failing receiver never delays or changes the verdict.
        selected.webhook?.send(fields, context.requestId);
      },
    };
  }

  return {
    "app.moderation.input": (params, context) => {
      if (options.logUserText) {
        context.logFields.userText = {
          query: clip(params.query, LOGGED_TEXT_LIMIT),
          inputs: loggedInputs(params.inputs),
        };
      }
      const selected = pick(params.app_id);
      return selected.policy.moderateInput(params, callContext(params.app_id, selected, context));
    },
    "app.moderation.output": (params, context) => {
      if (options.logUserText) context.logFields.userText = { text: clip(params.text, LOGGED_TEXT_LIMIT) };
      const selected = pick(params.app_id);
      return selected.policy.moderateOutput(params, callContext(params.app_id, selected, context));
    },
  };
}
