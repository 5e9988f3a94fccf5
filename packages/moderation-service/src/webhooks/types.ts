/**
 * What the moderation composition knows of verdict webhooks (platform-neutral types only): where
 * events go, and the sink a policy sends its verdicts to. The sender itself runs under Node
 * (`webhooks/hub.ts`); on Workers a webhook is a configuration error (docs/deploy-workers.md).
 */

/** How events are written: `json` (signed batches, docs/policies.md) or `slack` (an incoming webhook's `{"text"}`). */
export type WebhookFormat = "json" | "slack";

export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ["json", "slack"];

/** One receiver: its URL, format and which secret signs for it. */
export interface WebhookTarget {
  url: string;
  format: WebhookFormat;
  /**
   * The name of the secret that signs its events: `undefined` for MODERATION_WEBHOOK_SECRET, else
   * `team_a` for MODERATION_WEBHOOK_SECRET_TEAM_A.
   */
  secret?: string;
  /** Where it was set, to name it in errors: `MODERATION_WEBHOOK_URL` or `apps."tutor".webhook`. */
  where: string;
}

/**
 * The audit line's fields of one verdict that is not a pass (docs/policies.md#the-audit-trail):
 * what a webhook event carries, with the request id, an id, the time and the service added.
 */
export interface VerdictEventFields {
  appId: string | null;
  app: string;
  point: string;
  verdict: string;
  mode: string;
  reason?: string;
  engines: readonly string[];
  category?: string;
  categories: readonly string[];
  shadowed?: readonly string[];
  rules: readonly string[];
  terms: readonly string[];
  policyVersion: string;
  /** Only with LOG_USER_TEXT. */
  userText?: unknown;
}

/**
 * Where a policy sends its verdicts: never blocks, never throws (a full queue drops and counts).
 * The audit line's own fields object, and the request id apart: a dropped event costs nothing more.
 */
export interface WebhookSink {
  send(fields: VerdictEventFields, reqId: string): void;
}

/**
 * The senders of a service, one per receiver, kept across policy reloads so a reload loses no
 * queued event.
 */
export interface WebhookHub {
  /** The sink of a receiver: the same sender for the same URL, format and secret. */
  sink(target: WebhookTarget): WebhookSink;
  /** Which secret names are set (MODERATION_WEBHOOK_SECRET is `""`), to check targets before use. */
  readonly secrets: ReadonlySet<string>;
  /** After a reload: stops (flushing first) the senders of receivers no policy names any more. */
  retain(targets: Iterable<WebhookTarget>): void;
  /** Sends what is queued, for up to the shutdown budget, then stops every sender. */
  close(): Promise<void>;
}
