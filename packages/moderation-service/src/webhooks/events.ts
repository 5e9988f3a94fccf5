import { randomUUID } from "node:crypto";
import type { VerdictEventFields, WebhookFormat } from "./types.ts";

/** The `type` of one event, and of a batch's body. */
export const VERDICT_EVENT_TYPE = "moderation.verdict";
export const VERDICT_BATCH_TYPE = "moderation.verdicts";

/** Longest term or rule an event carries (list terms can be long); the audit line's limit of 20 each holds. */
const FIELD_CHARS = 200;
/** Most events in one Slack message: Slack cuts a message's text at 40,000 characters. */
export const SLACK_BATCH_MAX = 20;

const clipAll = (values: readonly string[]) =>
  values.map((value) => (value.length > FIELD_CHARS ? `${value.slice(0, FIELD_CHARS)}…` : value));

/**
 * One verdict as a `json` event: the audit line's fields with an id (for a receiver to drop a
 * repeat: delivery is at least once), the type, the time and the service.
 */
export function verdictEvent(
  fields: VerdictEventFields,
  reqId: string,
  service: string,
  at: number,
): Record<string, unknown> {
  return {
    id: randomUUID(),
    type: VERDICT_EVENT_TYPE,
    time: new Date(at).toISOString(),
    service,
    reqId,
    ...fields,
    terms: clipAll(fields.terms),
    rules: clipAll(fields.rules),
  };
}

/** A `json` batch: `{"type":"moderation.verdicts","events":[…]}` from events already serialised. */
export function jsonBatchBody(events: readonly string[]): string {
  return `{"type":"${VERDICT_BATCH_TYPE}","events":[${events.join(",")}]}`;
}

const SLACK_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
/** Text Slack shows as written (`&`, `<`, `>` would start its markup). */
const slackText = (text: string) => text.replace(/[&<>]/g, (c) => SLACK_ESCAPES[c]!);

const SLACK_ICON: Record<string, string> = { block: ":no_entry:", mask: ":see_no_evil:", shadow: ":eyes:" };

/** One verdict as a line of a Slack message (an incoming webhook's mrkdwn). */
export function slackLine(fields: VerdictEventFields, reqId: string, service: string): string {
  const parts = [
    `${SLACK_ICON[fields.verdict] ?? ":grey_question:"} *${fields.verdict}*${fields.mode === "shadow" ? " (shadow mode)" : ""} ${fields.point}`,
    fields.categories.length > 0 ? fields.categories.join(", ") : (fields.reason ?? ""),
    fields.engines.join(", "),
    `app \`${slackText(fields.appId ?? "none")}\``,
    fields.terms.length > 0 ? `terms: ${slackText(clipAll(fields.terms).join(", "))}` : "",
    `req \`${slackText(reqId)}\``,
    slackText(service),
  ].filter(Boolean);
  let line = parts.join(" · ");
  if (fields.userText !== undefined) {
    const text = JSON.stringify(fields.userText);
    line += `\n> ${slackText(text.length > 300 ? `${text.slice(0, 300)}…` : text)}`;
  }
  return line;
}

/** A Slack batch: one message, a line per verdict. */
export function slackBatchBody(lines: readonly string[]): string {
  return JSON.stringify({ text: lines.join("\n") });
}

/** How a receiver's events are written when their batch is sent (`at`: when the verdict was decided). */
export interface EventFormat {
  write(fields: VerdictEventFields, reqId: string, service: string, at: number): string;
  batch(events: readonly string[]): string;
  /** Events per POST at most. */
  batchMax(configured: number): number;
}

export const EVENT_FORMATS: Record<WebhookFormat, EventFormat> = {
  json: {
    write: (fields, reqId, service, at) => JSON.stringify(verdictEvent(fields, reqId, service, at)),
    batch: jsonBatchBody,
    batchMax: (configured) => configured,
  },
  slack: {
    write: slackLine,
    batch: slackBatchBody,
    batchMax: (configured) => Math.min(configured, SLACK_BATCH_MAX),
  },
};
