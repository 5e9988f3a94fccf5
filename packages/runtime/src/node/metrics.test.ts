import { inputBlock } from "@dify-ext/protocol";
import { silentLogger } from "@dify-ext/receive";
import { createReceiveApp } from "@dify-ext/receive/koa";
import { afterEach, describe, expect, it } from "vitest";
import { listen, type RunningServer } from "./listen.ts";
import { createServiceMetrics } from "./metrics.ts";

const KEY = "test-key-12345";
const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("Prometheus metrics", () => {
  it("count requests, verdicts, upstream calls and cache lookups, served on /metrics with a key", async () => {
    const metrics = createServiceMetrics({ service: "test" });
    const app = createReceiveApp({
      apiKeys: [KEY],
      metrics,
      metricsEndpoint: () => metrics.render(),
      handlers: {
        "app.moderation.input": (_params, context) => {
          context.logFields.verdict = "block";
          context.logFields.engine = "keywords";
          context.logFields.categories = ["hate", "profanity"];
          context.logFields.shadowed = ["profanity"];
          return inputBlock("no");
        },
      },
    });
    const running = await listen(app, { port: 0, host: "127.0.0.1", logger: silentLogger, handleSignals: false });
    servers.push(running);
    const post = (body: unknown) =>
      fetch(`${running.url}/api/dify/receive`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    await post({ point: "ping", params: {} });
    await post({ point: "app.moderation.input", params: { inputs: {}, query: "x" } });
    await post("{bad");
    metrics.observeUpstream({ kind: "call", upstream: "openai", outcome: "timeout", seconds: 4 });
    metrics.observeUpstream({ kind: "cache", cache: "openai", hit: true });
    metrics.observeWebhook({ kind: "request", receiver: "hooks.example#abc123", outcome: "ok", seconds: 0.2 });
    metrics.observeWebhook({ kind: "events", receiver: "hooks.example#abc123", outcome: "delivered", count: 7 });
    metrics.observeWebhook({
      kind: "events",
      receiver: "hooks.example#abc123",
      outcome: "dropped",
      reason: "queue_full",
      count: 2,
    });
    metrics.observeWebhook({ kind: "queue", receiver: "hooks.example#abc123", depth: () => 42 });
    const response = await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/dify_ext_requests_total\{point="ping",status="200",service="test"\} 1/);
    expect(text).toMatch(/dify_ext_requests_total\{point="-",status="400",service="test"\} 1/);
    expect(text).toMatch(
      /dify_ext_verdicts_total\{engine="keywords",verdict="block",app="other",mode="enforce",service="test"\} 1/,
    );
    expect(text).toMatch(/dify_ext_upstream_requests_total\{upstream="openai",outcome="timeout",service="test"\} 1/);
    expect(text).toMatch(/dify_ext_cache_lookups_total\{cache="openai",result="hit",service="test"\} 1/);
    expect(text).toMatch(
      /dify_ext_category_verdicts_total\{category="hate",verdict="block",point="app.moderation.input",mode="enforce",service="test"\} 1/,
    );
    expect(text).toMatch(/dify_ext_category_verdicts_total\{category="profanity",verdict="shadow",point=/);
    expect(text).toMatch(
      /dify_ext_webhook_requests_total\{receiver="hooks.example#abc123",outcome="ok",service="test"\} 1/,
    );
    expect(text).toMatch(
      /dify_ext_webhook_events_total\{receiver="hooks.example#abc123",outcome="delivered",reason="",service="test"\} 7/,
    );
    expect(text).toMatch(
      /dify_ext_webhook_events_total\{receiver="hooks.example#abc123",outcome="dropped",reason="queue_full"/,
    );
    expect(text).toMatch(/dify_ext_webhook_queue_events\{receiver="hooks.example#abc123",service="test"\} 42/);
    expect(text).toMatch(/dify_ext_request_duration_seconds_bucket/);
    expect(text).toMatch(/dify_ext_process_cpu_seconds_total/);
  });
});
