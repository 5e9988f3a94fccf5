import { spawnSync } from "node:child_process";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { WebhookEvent } from "@dify-ext/runtime";
import {
  type FakeWebhookReceiver,
  type ReceivedDelivery,
  startFakeWebhookReceiver,
} from "@dify-ext/test-support/fake-webhook-receiver";
import { type RecordedLine, recordingLogger } from "@dify-ext/test-support/logger";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createWebhookSender, type WebhookSenderOptions } from "./sender.ts";
import { verifySignature } from "./signature.ts";
import type { VerdictEventFields } from "./types.ts";

/** How long a test waits for what the sender does on its own (generous: the machine may be busy). */
const WAIT = { timeout: 20_000, interval: 10 };
const SECRET = "whsec-test-5f0e8a1c2b3d4e6f";

let receiver: FakeWebhookReceiver;
let lines: RecordedLine[];
let observed: WebhookEvent[];
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  receiver = await startFakeWebhookReceiver();
  lines = [];
  observed = [];
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await receiver.close();
});

function sender(options: Partial<WebhookSenderOptions> = {}) {
  const created = createWebhookSender({
    target: { url: receiver.url, format: "json", where: "MODERATION_WEBHOOK_URL" },
    secrets: [SECRET],
    timeoutMs: 5_000,
    maxAttempts: 4,
    batchMax: 10,
    flushMs: 20,
    queueMax: 1_000,
    service: "moderation-test",
    logger: recordingLogger(lines),
    observer: { observeWebhook: (event) => observed.push(event) },
    retryBaseMs: 20,
    retryMaxMs: 100,
    ...options,
  });
  closers.push(() => created.close(1_000));
  return created;
}

/** A verdict's audit fields and its request id `req-<n>`, as the handlers send them. */
const verdict = (n: number, extra: Partial<VerdictEventFields> = {}): [VerdictEventFields, string] => [
  fieldsOf(extra),
  `req-${n}`,
];

const fieldsOf = (extra: Partial<VerdictEventFields> = {}): VerdictEventFields => ({
  appId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  app: "other",
  point: "input",
  verdict: "block",
  mode: "enforce",
  engines: ["keywords"],
  category: "hate",
  categories: ["hate"],
  rules: ["slurs"],
  terms: ["slur"],
  policyVersion: "env",
  ...extra,
});

/**
 * The receiver's check exactly as docs/policies.md writes it, with node:crypto and nothing of the
 * service's code: HMAC-SHA256 of "<t>.<raw body>" with the secret, against each v1, in constant
 * time, and a timestamp no more than 5 minutes off.
 */
function verify(rawBody: string, header: string, secret: string): boolean {
  const parts = header.split(",").map((part) => part.split("="));
  const t = parts.find(([key]) => key === "t")?.[1];
  if (!t || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  return parts.some(([key, hex = ""]) => {
    const given = Buffer.from(hex, "hex");
    return key === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const docsRecipeAccepts = (delivery: ReceivedDelivery, secret: string) =>
  verify(delivery.body, delivery.headers["dify-ext-signature"] ?? "", secret);

/** docs/policies.md's Python recipe, verbatim, run on every delivery. */
const PYTHON_VERIFIER = `
import hashlib, hmac, json, os, sys, time

def verify(raw_body: bytes, header: str, secret: str) -> bool:
    fields = [part.split("=", 1) for part in header.split(",")]
    t = next((v for k, v in fields if k == "t"), None)
    if t is None or abs(time.time() - int(t)) > 300:
        return False
    expected = hmac.new(secret.encode(), t.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(expected, v) for k, v in fields)

secret = os.environ["WEBHOOK_SECRET"]
print(json.dumps([verify(d["body"].encode(), d["header"], secret) for d in json.load(sys.stdin)]))
`;

const python = spawnSync("python3", ["--version"]).status === 0;

describe("the webhook sender, with a real receiver on loopback", () => {
  it("sends batches that the documented recipe verifies, with the audit line's fields", async () => {
    const s = sender();
    for (let n = 1; n <= 3; n++) s.send(...verdict(n));
    await receiver.waitForDeliveries(1);
    const [delivery] = receiver.deliveries;
    expect(delivery!.headers["content-type"]).toBe("application/json");
    expect(delivery!.headers["dify-ext-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(docsRecipeAccepts(delivery!, SECRET)).toBe(true);
    expect(docsRecipeAccepts(delivery!, `${SECRET}-wrong`)).toBe(false);
    expect(docsRecipeAccepts({ ...delivery!, body: delivery!.body.replace("slur", "slut") }, SECRET)).toBe(false);
    // The service's own helper for JavaScript receivers agrees.
    expect(verifySignature(delivery!.body, delivery!.headers["dify-ext-signature"], SECRET)).toBe(true);
    const body = JSON.parse(delivery!.body) as { type: string; events: Array<Record<string, unknown>> };
    expect(body.type).toBe("moderation.verdicts");
    expect(body.events.map((event) => event.reqId)).toEqual(["req-1", "req-2", "req-3"]);
    expect(body.events[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: "moderation.verdict",
      time: expect.any(String),
      service: "moderation-test",
      reqId: "req-1",
      ...fieldsOf(),
    });
    expect(new Set(body.events.map((event) => event.id)).size).toBe(3);
    await vi.waitFor(() => expect(s.stats().delivered).toBe(3), WAIT);
  });

  it.runIf(python)("signs so that Python's hmac, an independent implementation, verifies every delivery", async () => {
    const s = sender({ secrets: [SECRET, "whsec-next-0123456789abcdef"], batchMax: 2 });
    for (let n = 1; n <= 5; n++) s.send(...verdict(n, { terms: ["naïve ünïcödé ✓ 漢字"] }));
    await receiver.waitForDeliveries(3);
    const run = (secret: string) =>
      JSON.parse(
        spawnSync("python3", ["-c", PYTHON_VERIFIER], {
          input: JSON.stringify(
            receiver.deliveries.map((d) => ({ header: d.headers["dify-ext-signature"], body: d.body })),
          ),
          env: { ...process.env, WEBHOOK_SECRET: secret },
          encoding: "utf8",
        }).stdout,
      ) as boolean[];
    expect(run(SECRET)).toEqual([true, true, true]);
    // During a rotation each delivery carries a signature per secret: the new one verifies too.
    expect(run("whsec-next-0123456789abcdef")).toEqual([true, true, true]);
    expect(run("whsec-other-0123456789abcdef")).toEqual([false, false, false]);
  });

  it("retries a batch after 500s with backoff, signing each attempt anew under one delivery id", async () => {
    receiver.script({ status: 500 }, { status: 503, headers: { "retry-after": "0" } });
    const s = sender();
    s.send(...verdict(1));
    await receiver.waitForDeliveries(3);
    await vi.waitFor(() => expect(s.stats().delivered).toBe(1), WAIT);
    const ids = receiver.deliveries.map((d) => d.headers["dify-ext-delivery"]);
    expect(new Set(ids).size).toBe(1);
    expect(receiver.deliveries.every((d) => docsRecipeAccepts(d, SECRET))).toBe(true);
    expect(receiver.acceptedEvents().map((event) => event.reqId)).toEqual(["req-1"]);
    expect(requests()).toEqual(["error", "error", "ok"]);
    expect(lines.filter((line) => line.level === "warn").map((line) => line.msg)).toEqual([
      "webhook receiver failed; retrying with backoff",
    ]);
  });

  it("gives up after maxAttempts, drops the batch, counts and logs it", async () => {
    receiver.fallback = { status: 502 };
    const s = sender({ maxAttempts: 3 });
    s.send(...verdict(1));
    s.send(...verdict(2));
    await vi.waitFor(() => expect(s.stats().dropped.retries_exhausted).toBe(2), WAIT);
    expect(receiver.deliveries).toHaveLength(3);
    expect(dropped("retries_exhausted")).toBe(2);
    expect(lines.find((line) => line.level === "error")).toMatchObject({
      msg: "webhook receiver failed every attempt: events dropped",
      attempts: 3,
      events: 2,
      last: "HTTP 502",
    });
  });

  it("drops a batch the receiver refuses (4xx) at once, and follows no redirect", async () => {
    receiver.script({ status: 400 }, { status: 307, headers: { location: "http://127.0.0.1:1/elsewhere" } });
    const s = sender({ batchMax: 1 });
    s.send(...verdict(1));
    s.send(...verdict(2));
    await vi.waitFor(() => expect(s.stats().dropped.rejected).toBe(2), WAIT);
    expect(receiver.deliveries).toHaveLength(2);
    expect(requests()).toEqual(["rejected", "rejected"]);
  });

  it("times out a receiver that hangs, and retries", async () => {
    receiver.script({ hang: true });
    const s = sender({ timeoutMs: 300 });
    s.send(...verdict(1));
    await vi.waitFor(() => expect(s.stats().delivered).toBe(1), WAIT);
    expect(requests()).toEqual(["timeout", "ok"]);
    expect(receiver.deliveries).toHaveLength(2);
  });

  it("keeps at most queueMax events while the receiver hangs, dropping the rest, counted and logged once", async () => {
    receiver.fallback = { hang: true };
    const s = sender({ queueMax: 5, batchMax: 2, timeoutMs: 60_000 });
    s.send(...verdict(1));
    s.send(...verdict(2));
    await receiver.waitForDeliveries(1);
    // One batch of 2 is in flight; 5 wait; the other 13 are dropped, each send returning at once.
    for (let n = 3; n <= 20; n++) s.send(...verdict(n));
    expect(s.stats()).toMatchObject({ queued: 5, dropped: { queue_full: 13 } });
    // The metrics and the log hear of the drops within a second, in one report.
    await vi.waitFor(() => expect(dropped("queue_full")).toBe(13), WAIT);
    const warnings = lines.filter((line) => line.msg?.startsWith("webhook queue full"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: "warn", dropped: 13, queueMax: 5 });
    // More drops within 10 s are counted at once and logged in the next warning, not one each.
    for (let n = 21; n <= 30; n++) s.send(...verdict(n));
    await vi.waitFor(() => expect(dropped("queue_full")).toBe(23), WAIT);
    expect(lines.filter((line) => line.msg?.startsWith("webhook queue full"))).toHaveLength(1);
    const queue = observed.find((event) => event.kind === "queue");
    expect(queue?.kind === "queue" && queue.depth()).toBe(5);
  });

  it("sends what is queued when closed, and within the budget counts the rest as lost at shutdown", async () => {
    const s = sender({ flushMs: 60_000 });
    s.send(...verdict(1));
    s.send(...verdict(2));
    // The batch would wait for a minute; closing sends it now.
    await s.close(5_000);
    expect(receiver.acceptedEvents().map((event) => event.reqId)).toEqual(["req-1", "req-2"]);

    receiver.fallback = { hang: true };
    const stuck = sender({ timeoutMs: 60_000, batchMax: 1 });
    for (let n = 1; n <= 3; n++) stuck.send(...verdict(n));
    // The first batch (of one) hangs in flight; two wait behind it.
    await receiver.waitForDeliveries(2);
    await stuck.close(300);
    expect(stuck.stats().dropped.shutdown).toBe(3);
    expect(lines.find((line) => line.msg === "webhook: verdict events not delivered before shutdown")).toMatchObject({
      events: 3,
    });
    // After close, events are counted as lost at once.
    stuck.send(...verdict(9));
    expect(stuck.stats().dropped.shutdown).toBe(4);
  });

  it("writes Slack messages (a line per verdict, markup escaped), unsigned without a secret", async () => {
    const s = sender({
      target: { url: receiver.url, format: "slack", where: "MODERATION_WEBHOOK_URL" },
      secrets: [],
    });
    s.send(...verdict(1, { terms: ["<script>&"] }));
    s.send(...verdict(2, { verdict: "shadow", categories: ["pii.email"] }));
    await receiver.waitForDeliveries(1);
    const [delivery] = receiver.deliveries;
    expect(delivery!.headers["dify-ext-signature"]).toBeUndefined();
    const { text } = JSON.parse(delivery!.body) as { text: string };
    expect(text.split("\n")).toEqual([
      ":no_entry: *block* input · hate · keywords · app `0f8fad5b-d9cb-469f-a165-70867728950e` · terms: &lt;script&gt;&amp; · req `req-1` · moderation-test",
      ":eyes: *shadow* input · pii.email · keywords · app `0f8fad5b-d9cb-469f-a165-70867728950e` · terms: slur · req `req-2` · moderation-test",
    ]);
  });

  it("never writes the secret or the URL's path in a log line or a label", async () => {
    receiver.fallback = { status: 500 };
    const s = sender({ maxAttempts: 2 });
    s.send(...verdict(1));
    await vi.waitFor(() => expect(s.stats().dropped.retries_exhausted).toBe(1), WAIT);
    await s.close(100);
    const written = JSON.stringify(lines) + JSON.stringify(observed.map((event) => ({ ...event, depth: undefined })));
    expect(written).not.toContain(SECRET);
    expect(written).not.toContain("/hooks/dify-ext");
    expect(s.receiver).toMatch(/^127\.0\.0\.1:\d+#[0-9a-f]{6}$/);
  });

  it("refuses a json receiver without a secret", () => {
    expect(() => sender({ secrets: [] })).toThrow(/MODERATION_WEBHOOK_URL: json events are signed/);
  });
});

/** The outcomes of the POSTs the sender reported, in order. */
function requests(): string[] {
  return observed.flatMap((event) => (event.kind === "request" ? [event.outcome] : []));
}

/** Events the sender reported dropped for `reason`. */
function dropped(reason: string): number {
  return observed.reduce(
    (sum, event) => sum + (event.kind === "events" && event.reason === reason ? event.count : 0),
    0,
  );
}
