/**
 * Events that engines and data clients report about their upstream calls and caches, for metrics.
 * Platform-neutral: engines accept an `onUpstream` callback and know nothing of Prometheus.
 */
export type UpstreamEvent =
  | { kind: "call"; upstream: string; outcome: "ok" | "error" | "timeout"; seconds?: number }
  | { kind: "cache"; cache: string; hit: boolean };

export interface UpstreamObserver {
  observeUpstream(event: UpstreamEvent): void;
}

/**
 * What a verdict-webhook sender reports, for metrics: each POST to a receiver, events delivered or
 * dropped (and why), and how to read its queue's depth. `receiver` is a label that never holds the
 * URL's path or query (a Slack webhook's URL is its secret).
 */
export type WebhookEvent =
  | { kind: "request"; receiver: string; outcome: "ok" | "error" | "timeout" | "rejected"; seconds: number }
  | {
      kind: "events";
      receiver: string;
      outcome: "delivered" | "dropped";
      /** Why events were dropped: the queue was full, the receiver refused them (4xx), every attempt failed, or the service stopped first. */
      reason?: "queue_full" | "rejected" | "retries_exhausted" | "shutdown";
      count: number;
    }
  | { kind: "queue"; receiver: string; depth: () => number };

export interface WebhookObserver {
  observeWebhook(event: WebhookEvent): void;
}
