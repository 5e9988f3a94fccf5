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
