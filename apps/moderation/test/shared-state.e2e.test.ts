/**
 * Two replicas of the composite app (real processes) sharing a real redis-server
 * (SHARED_STATE_URL): a streamed answer whose calls alternate between them is judged as one
 * replica judges it, every window goes to the guard model once, each replica resumes from the
 * other's judgements, one rate-limit bucket holds for both, and a store that is killed and
 * restarted never fails a call.
 */
import { fileURLToPath } from "node:url";
import { splitIntoWindows } from "@dify-ext/moderation-engines/guard";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { type FakeGuard, startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { type RedisServer, startRedisServer } from "@dify-ext/test-support/redis-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "shared-state-e2e-key-1";
const LIMITED_KEY = "shared-state-e2e-key-2";
const WINDOW = 1000;
const OVERLAP = 100;

/** A clean answer of about 6,000 characters with a guard marker and a sample-list word near the end. */
const ANSWER = `${Array.from({ length: 90 }, (_, i) => `Sentence ${i} of a calm answer about gardens.`).join(" ")} Then something VIOLENT happens. ${"More calm words. ".repeat(40)}`;

function cuts(text: string): string[] {
  const calls: string[] = [];
  for (let cut = 300; cut < text.length; cut += 300) calls.push(text.slice(0, cut));
  return [...calls, text];
}

/** The sample lines of `app`'s metric `name` with labels, as [line, value]. */
async function samples(app: AppProcess, name: string): Promise<[string, number][]> {
  const text = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => [l, Number(l.slice(l.lastIndexOf(" ") + 1))]);
}

async function metric(app: AppProcess, name: string, labels: string): Promise<number> {
  return (await samples(app, name)).find(([line]) => line.includes(labels))?.[1] ?? 0;
}

/** Store operations of `app` that did not succeed (timed out, failed, or skipped while the store was unusable). */
async function failedStoreOps(app: AppProcess): Promise<number> {
  const lines = await samples(app, "dify_ext_shared_state_operations_total");
  return lines.filter(([line]) => !line.includes('outcome="ok"')).reduce((sum, [, value]) => sum + value, 0);
}

/** Polls `done` until it holds (true) or `ms` have passed (false). */
async function until(done: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; !(await done()); ) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function readyz(app: AppProcess) {
  const response = await fetch(`${app.url}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as { sharedState?: { state: string; store: string } },
  };
}

describe("two replicas sharing a store (SHARED_STATE_URL)", () => {
  let redis: RedisServer;
  let guard: FakeGuard;
  let replicas: AppProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer({ password: "e2e-store-password" });
    guard = await startFakeGuard();
    const env = {
      API_KEYS: `${KEY},${LIMITED_KEY}`,
      MODERATION_ENGINES: "keywords,obscenity,guard",
      GUARD_BASE_URL: guard.url,
      GUARD_MODEL: "llama-guard3:8b",
      GUARD_TIMEOUT_MS: "5000",
      GUARD_WINDOW_CHARS: String(WINDOW),
      GUARD_WINDOW_OVERLAP_CHARS: String(OVERLAP),
      SHARED_STATE_URL: redis.url,
      // Generous: a loaded machine can hold a round trip on loopback back that long.
      SHARED_STATE_TIMEOUT_MS: "1000",
      RATE_LIMIT_RPS: "0.01",
      RATE_LIMIT_BURST: "100",
    };
    replicas = await Promise.all([
      startAppProcess({ cwd: appDir, env, startTimeoutMs: 60_000 }),
      startAppProcess({ cwd: appDir, env, startTimeoutMs: 60_000 }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await guard?.close();
    await redis?.stop();
  });

  it("reports the store in /readyz, without its password", async () => {
    for (const replica of replicas) {
      const { status, body } = await readyz(replica);
      expect(status).toBe(200);
      expect(body.sharedState).toMatchObject({ state: "up", store: `redis://:***@127.0.0.1:${redis.port}/0` });
      expect(replica.output.join("\n")).not.toContain("e2e-store-password");
    }
    expect(await metric(replicas[0]!, "dify_ext_shared_state_up", "")).toBe(1);
  });

  it("judges a streamed answer spread over both replicas as one would, each window sent to the model once", async () => {
    guard.reset();
    const failedBefore = (await Promise.all(replicas.map(failedStoreOps))).reduce((a, b) => a + b, 0);
    const stored = (kind: string) => redis.cli("KEYS", `dify-ext:1:${kind}:*`).split("\n").filter(Boolean).length;
    const calls = cuts(ANSWER);
    const replies: unknown[] = [];
    for (const [index, text] of calls.entries()) {
      const response = await difyCall(replicas[index % 2]!.receiveUrl, KEY, "app.moderation.output", {
        app_id: "stream-app",
        text,
      });
      expect(response.status).toBe(200);
      replies.push(await response.json());
      // A replica writes what it judged to the store after it answers, without waiting. Dify's calls
      // of one stream come an LLM's tokens apart; this test's come back to back, so it waits for the
      // writes (bounded: one that failed never lands) before the other replica is called. Whole
      // windows are shared (an answer's growing last window is judged again as it grows).
      const whole = new Set(guard.calls.map((call) => call.judged).filter((window) => window.length >= WINDOW - 1));
      await until(() => stored("v") >= whole.size && stored("s") >= 1, 10_000);
    }
    const flaggedFrom = calls.findIndex((text) => text.includes("VIOLENT"));
    replies.forEach((reply, index) => {
      expect(reply, `call ${index}`).toMatchObject({ flagged: index >= flaggedFrom });
    });
    // One replica sends each distinct window once; two sharing a store do the same, as long as the
    // store answered. A store that answers late (over SHARED_STATE_TIMEOUT_MS, at most 1 s: a
    // machine under a load of 20 has done it) is skipped and the replica judges on its own, as
    // designed: then each operation that failed may cost one more call, never a wrong verdict.
    const windows = new Set(calls.flatMap((text) => splitIntoWindows(text, WINDOW, OVERLAP)));
    const failed = (await Promise.all(replicas.map(failedStoreOps))).reduce((a, b) => a + b, 0) - failedBefore;
    if (failed > 0) console.log(`the store failed ${failed} operations under this machine's load`);
    expect(new Set(guard.calls.map((call) => call.judged))).toEqual(windows);
    expect(guard.calls.length).toBeLessThanOrEqual(windows.size + failed);
    // The second replica's first call resumed from the first's judgements (keyword and obscenity
    // states); later calls resumed from each replica's own, a call back (the local reach).
    const resumedShared = await metric(
      replicas[1]!,
      "dify_ext_cache_lookups_total",
      'cache="stream-shared",result="hit"',
    );
    if (failed === 0) expect(resumedShared).toBe(1);
    for (const replica of replicas) {
      expect(await metric(replica, "dify_ext_cache_lookups_total", 'cache="stream",result="hit"')).toBeGreaterThan(5);
    }
    expect(
      await metric(replicas[1]!, "dify_ext_cache_lookups_total", 'cache="guard-shared",result="hit"'),
    ).toBeGreaterThan(0);
  });

  it("keeps one rate-limit bucket per key for both replicas", async () => {
    // RATE_LIMIT_BURST is 100: 110 calls with one key, alternating between the replicas.
    const statuses: number[] = [];
    for (let i = 0; i < 110; i++) {
      const response = await difyCall(replicas[i % 2]!.receiveUrl, LIMITED_KEY, "ping", {});
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    // 100 allowed across both replicas (one more may refill at 0.01/s over a slow run), the rest 429.
    const allowed = statuses.filter((status) => status === 200).length;
    expect(allowed).toBeGreaterThanOrEqual(100);
    expect(allowed).toBeLessThanOrEqual(102);
    expect(statuses.at(-1)).toBe(429);
  }, 120_000);

  it("answers every call while the store is killed and restarted, and uses it again by itself", async () => {
    await redis.kill();
    for (let i = 0; i < 10; i++) {
      const response = await difyCall(replicas[i % 2]!.receiveUrl, KEY, "app.moderation.output", {
        app_id: "down-app",
        text: `A calm answer number ${i} about the weather. `.repeat(20),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ flagged: false });
    }
    for (const replica of replicas) {
      const { status, body } = await readyz(replica);
      // Still ready: the app serves on local state.
      expect(status).toBe(200);
      expect(body.sharedState?.state).not.toBe("up");
    }
    await redis.restart();
    const deadline = Date.now() + 60_000;
    for (const replica of replicas) {
      const up = await until(
        async () => (await readyz(replica)).body.sharedState?.state === "up",
        deadline - Date.now(),
      );
      if (!up) throw new Error("a replica did not reconnect within 60 s");
    }
    // The logger writes in 4 KiB blocks, or within 200 ms by its timer: the line may still be on its way.
    const logged = () => replicas.map((replica) => replica.output.join("\n")).join("\n");
    if (!(await until(() => logged().includes("shared state store unreachable"), deadline - Date.now()))) {
      throw new Error("no replica logged that the store was unreachable within 60 s");
    }
    const log = logged();
    expect(log).not.toContain("e2e-store-password");
    expect(await metric(replicas[0]!, "dify_ext_shared_state_reconnects_total", "")).toBeGreaterThan(0);
  }, 120_000);
});
