import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RequestObserver, RequestRecord } from "@dify-ext/receive";
import type { SharedStateEvent, SharedStateObserver } from "@dify-ext/shared-state";
import type { UpstreamEvent, UpstreamObserver, WebhookEvent, WebhookObserver } from "../upstream.ts";

/** Which engines can judge (a moderation service's engines, by name). */
export type EngineReadiness = ReadonlyArray<{ engine: string; ready: boolean }>;

/** Prometheus metrics of one service (prom-client, its own registry). */
export interface ServiceMetrics extends RequestObserver, UpstreamObserver, SharedStateObserver, WebhookObserver {
  readonly registry: Registry;
  /** Counts a connection refused because MAX_CONNECTIONS were open. */
  connectionDropped(): void;
  /**
   * Sets `dify_ext_engine_ready{engine}` for each engine (engines no longer listed are removed)
   * and `dify_ext_moderating`: 1 when every engine can judge, 0 when one cannot (its share of every
   * call is then answered by the failure policy).
   */
  engineReadiness(engines: EngineReadiness): void;
  /** The text exposition of every metric, for `GET /metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Creates the metrics every app exposes:
 * - `dify_ext_requests_total{point,status}` and `dify_ext_request_duration_seconds{point}`
 * - `dify_ext_verdicts_total{engine,verdict,app,mode}` (moderation outcomes; `engine` is `none` for passes;
 *   `app` the app id when the policy file names it, else `other`; `mode` `enforce` or `shadow`)
 * - `dify_ext_category_verdicts_total{category,verdict,point,mode}` (each category of a flagged call:
 *   the call's verdict, or `shadow` for a category recorded in shadow; categories come from the
 *   vocabulary and the operator's lists, never from callers)
 * - `dify_ext_engine_errors_total{engine}` (engine failures answered by the failure policy)
 * - `dify_ext_upstream_requests_total{upstream,outcome}` and `dify_ext_upstream_duration_seconds{upstream}`
 *   (OpenAI, Open-Meteo: `ok`, `error`, `timeout`)
 * - `dify_ext_cache_lookups_total{cache,result}` (`hit`, `miss`)
 * - `dify_ext_connections_dropped_total` (connections closed at once past MAX_CONNECTIONS)
 * - `dify_ext_moderating` (1: every engine can judge; 0: one cannot, and the failure policy answers
 *   for it) and `dify_ext_engine_ready{engine}`, on moderation services
 * - with SHARED_STATE_URL: `dify_ext_shared_state_up` (1 while the store is in use),
 *   `dify_ext_shared_state_operations_total{op,outcome}` (`get`, `set`, `take`; `ok`, `error`,
 *   `timeout`, `offline`: not tried, local state answered), `dify_ext_shared_state_duration_seconds{op}`
 *   and `dify_ext_shared_state_reconnects_total`
 * - `dify_ext_webhook_requests_total{receiver,outcome}`, `dify_ext_webhook_duration_seconds{receiver}`,
 *   `dify_ext_webhook_events_total{receiver,outcome,reason}`, `dify_ext_webhook_queue_events{receiver}`
 *   (verdict webhooks: POSTs, events delivered or dropped and why, events waiting)
 * - Node's process metrics (CPU, memory, event loop lag) with the `dify_ext_` prefix.
 */
export function createServiceMetrics(options: { service: string }): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry, prefix: "dify_ext_" });
  // Every metric in this service's registry.
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets = LATENCY_BUCKETS,
  ) => new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });
  const requests = counter("dify_ext_requests_total", "Calls to the receive endpoint by point and status", [
    "point",
    "status",
  ]);
  const duration = histogram("dify_ext_request_duration_seconds", "Time to answer a call to the receive endpoint", [
    "point",
  ]);
  const verdicts = counter(
    "dify_ext_verdicts_total",
    "Moderation verdicts by engine, verdict (pass, block, mask), app (policy file's app ids, else other) and mode",
    ["engine", "verdict", "app", "mode"],
  );
  const categoryVerdicts = counter(
    "dify_ext_category_verdicts_total",
    "Categories of flagged moderation calls by category, verdict (block, mask, shadow), point and mode",
    ["category", "verdict", "point", "mode"],
  );
  const engineErrors = counter("dify_ext_engine_errors_total", "Engine failures answered by the failure policy", [
    "engine",
  ]);
  const upstreamRequests = counter("dify_ext_upstream_requests_total", "Requests to upstream services by outcome", [
    "upstream",
    "outcome",
  ]);
  const upstreamDuration = histogram("dify_ext_upstream_duration_seconds", "Time upstream services took to answer", [
    "upstream",
  ]);
  const cacheLookups = counter("dify_ext_cache_lookups_total", "Cache lookups by cache and result", [
    "cache",
    "result",
  ]);

  const droppedConnections = counter(
    "dify_ext_connections_dropped_total",
    "Connections closed at once because MAX_CONNECTIONS were open",
  );

  const moderating = gauge(
    "dify_ext_moderating",
    "1 when every moderation engine can judge; 0 when one cannot and the failure policy answers for it",
  );
  const engineReady = gauge(
    "dify_ext_engine_ready",
    "1 when the moderation engine can judge; 0 when it cannot (e.g. no API key or model server configured)",
    ["engine"],
  );
  const sharedUp = gauge(
    "dify_ext_shared_state_up",
    "1 while the shared state store (SHARED_STATE_URL) is connected and in use, else 0",
  );
  const sharedOperations = counter(
    "dify_ext_shared_state_operations_total",
    "Operations on the shared state store by op (get, set, take) and outcome (ok, error, timeout, offline)",
    ["op", "outcome"],
  );
  const sharedDuration = histogram(
    "dify_ext_shared_state_duration_seconds",
    "Time the shared state store took to answer an operation",
    ["op"],
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  );
  const sharedReconnects = counter(
    "dify_ext_shared_state_reconnects_total",
    "Reconnection attempts to the shared state store",
  );
  const webhookRequests = counter(
    "dify_ext_webhook_requests_total",
    "POSTs of verdict events to webhook receivers by outcome (ok, error, timeout, rejected)",
    ["receiver", "outcome"],
  );
  const webhookDuration = histogram("dify_ext_webhook_duration_seconds", "Time webhook receivers took to answer", [
    "receiver",
  ]);
  const webhookEvents = counter(
    "dify_ext_webhook_events_total",
    "Verdict events delivered to webhook receivers, or dropped and why",
    ["receiver", "outcome", "reason"],
  );
  const webhookEventSeries = new Map<string, { inc(value: number): void }>();
  const queues = new Map<string, () => number>();
  new Gauge({
    name: "dify_ext_webhook_queue_events",
    help: "Verdict events waiting to be sent, per webhook receiver",
    labelNames: ["receiver"] as const,
    registers: [registry],
    collect() {
      for (const [receiver, depth] of queues) this.set({ receiver }, depth());
    },
  });

  const requestSeries = new Map<string, { count: { inc(): void }; time: { observe(value: number): void } }>();

  return {
    registry,
    connectionDropped() {
      droppedConnections.inc();
    },
    engineReadiness(engines) {
      engineReady.reset();
      for (const { engine, ready } of engines) engineReady.set({ engine }, ready ? 1 : 0);
      moderating.set(engines.every((engine) => engine.ready) ? 1 : 0);
    },
    observeRequest(record: RequestRecord) {
      // Label-bound children, made once per point and status: prom-client hashes labels on every call otherwise.
      const key = `${record.point} ${record.status}`;
      let child = requestSeries.get(key);
      if (!child) {
        child = {
          count: requests.labels({ point: record.point, status: String(record.status) }),
          time: duration.labels({ point: record.point }),
        };
        requestSeries.set(key, child);
      }
      child.count.inc();
      child.time.observe(record.seconds);
      const { verdict, engine, engineError, app, mode } = record.fields;
      if (typeof verdict === "string") {
        verdicts.inc({
          engine: typeof engine === "string" ? engine : "none",
          verdict,
          app: typeof app === "string" ? app : "other",
          mode: mode === "shadow" ? "shadow" : "enforce",
        });
      }
      if (typeof engineError === "string") engineErrors.inc({ engine: engineError });
      const { categories, shadowed } = record.fields;
      if (typeof verdict === "string" && Array.isArray(categories)) {
        const shadowedOnes = Array.isArray(shadowed) ? shadowed : [];
        for (const category of categories) {
          if (typeof category !== "string") continue;
          categoryVerdicts.inc({
            category,
            verdict: shadowedOnes.includes(category) ? "shadow" : verdict,
            point: record.point,
            mode: mode === "shadow" ? "shadow" : "enforce",
          });
        }
      }
    },
    observeWebhook(event: WebhookEvent) {
      if (event.kind === "request") {
        webhookRequests.inc({ receiver: event.receiver, outcome: event.outcome });
        webhookDuration.observe({ receiver: event.receiver }, event.seconds);
      } else if (event.kind === "events") {
        // Label-bound children, one per receiver, outcome and reason: a full queue reports every drop.
        const key = `${event.receiver} ${event.outcome} ${event.reason ?? ""}`;
        let child = webhookEventSeries.get(key);
        if (!child) {
          child = webhookEvents.labels({
            receiver: event.receiver,
            outcome: event.outcome,
            reason: event.reason ?? "",
          });
          webhookEventSeries.set(key, child);
        }
        child.inc(event.count);
      } else {
        queues.set(event.receiver, event.depth);
      }
    },
    observeUpstream(event: UpstreamEvent) {
      if (event.kind === "cache") {
        cacheLookups.inc({ cache: event.cache, result: event.hit ? "hit" : "miss" });
        return;
      }
      upstreamRequests.inc({ upstream: event.upstream, outcome: event.outcome });
      if (event.seconds !== undefined) upstreamDuration.observe({ upstream: event.upstream }, event.seconds);
    },
    observeSharedState(event: SharedStateEvent) {
      if (event.kind === "state") sharedUp.set(event.up ? 1 : 0);
      else if (event.kind === "reconnect") sharedReconnects.inc();
      else {
        sharedOperations.inc({ op: event.op, outcome: event.outcome });
        if (event.seconds !== undefined) sharedDuration.observe({ op: event.op }, event.seconds);
      }
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
