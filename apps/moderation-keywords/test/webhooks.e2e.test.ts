import { fileURLToPath } from "node:url";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { type FakeWebhookReceiver, startFakeWebhookReceiver } from "@dify-ext/test-support/fake-webhook-receiver";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/**
 * Verdict webhooks from the real process across a stop and a restart, against what
 * docs/operations.md promises: a graceful stop sends what is queued for up to 5 s; what it cannot
 * send is counted and logged, never silently lost; a new process starts with an empty queue.
 */
const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "webhook-e2e-key-0123456789";
const SECRET = "whsec-e2e-0123456789abcdef";
const CALLS = 25;

let receiver: FakeWebhookReceiver;
const apps: AppProcess[] = [];

beforeEach(async () => {
  receiver = await startFakeWebhookReceiver();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop("SIGKILL");
  await receiver.close();
});

async function start(env: Record<string, string> = {}) {
  const app = await startAppProcess({
    cwd: appDir,
    env: {
      API_KEYS: KEY,
      MODERATION_WEBHOOK_URL: receiver.url,
      MODERATION_WEBHOOK_SECRET: SECRET,
      MODERATION_WEBHOOK_BATCH_MAX: "10",
      ...env,
    },
  });
  apps.push(app);
  return app;
}

/** Flags `count` calls (the sample list blocks "shit") and returns their request ids. */
async function flag(app: AppProcess, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const id = `${prefix}-${n}`;
    const response = await difyCall(
      app.receiveUrl,
      KEY,
      "app.moderation.input",
      { app_id: "e2e-app", inputs: {}, query: "what a shit day" },
      { headers: { "x-request-id": id } },
    );
    expect(await response.json()).toMatchObject({ flagged: true, action: "direct_output" });
    ids.push(id);
  }
  return ids;
}

const logLines = (app: AppProcess) =>
  app.output.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe("verdict webhooks of the real process, across a stop and a restart", () => {
  it("delivers every queued event at a graceful stop once the receiver is back, then starts afresh", async () => {
    // The receiver fails first: events wait in the queue, retried with backoff.
    receiver.fallback = { status: 503 };
    const app = await start();
    const ids = await flag(app, CALLS, "first");
    await receiver.waitForDeliveries(1);
    receiver.fallback = { status: 200 };
    expect(await app.stop("SIGTERM", 20_000)).toBe(0);
    const delivered = new Set(receiver.acceptedEvents().map((event) => event.reqId));
    expect(ids.filter((id) => !delivered.has(id))).toEqual([]);
    expect(logLines(app).some((line) => line.msg === "webhook: verdict events not delivered before shutdown")).toBe(
      false,
    );

    // A new process: nothing of the old queue is sent again, and its own events flow.
    const before = receiver.acceptedEvents().length;
    const again = await start();
    const next = await flag(again, 3, "second");
    await vi.waitFor(() => expect(receiver.acceptedEvents().length).toBe(before + 3), { timeout: 20_000 });
    expect(
      receiver
        .acceptedEvents()
        .slice(before)
        .map((event) => event.reqId),
    ).toEqual(next);
  });

  it("stops within its budget when the receiver hangs, and counts and logs every event it could not send", async () => {
    receiver.fallback = { hang: true };
    const app = await start();
    await flag(app, CALLS, "stuck");
    await receiver.waitForDeliveries(1);
    const stopping = Date.now();
    expect(await app.stop("SIGTERM", 30_000)).toBe(0);
    // 5 s for the queue after the requests in flight: generous bounds for a busy machine.
    expect(Date.now() - stopping).toBeLessThan(25_000);
    const lost = logLines(app).find((line) => line.msg === "webhook: verdict events not delivered before shutdown");
    expect(lost).toMatchObject({ level: "warn", events: CALLS });
    expect(receiver.acceptedEvents()).toEqual([]);
  }, 90_000);
});
