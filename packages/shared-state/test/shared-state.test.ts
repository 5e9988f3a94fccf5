/**
 * The shared state against a real redis-server on loopback: sharing between two clients (two
 * replicas), the rate-limit bucket taken atomically, and the faults: a store killed and restarted,
 * a hung store (SIGSTOP), a full store (maxmemory, with and without eviction), TLS with a password.
 * Time bounds are checked with wide margins (the machine is shared and loaded); what is asserted
 * exactly is the behaviour: no operation fails, local state answers, the client comes back by itself.
 */
import { type RecordedLine, recordingLogger } from "@dify-ext/test-support/logger";
import { type RedisServer, startRedisServer } from "@dify-ext/test-support/redis-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createSharedState,
  KEY_PREFIX,
  leaseSize,
  MAX_SHARED_VALUE_BYTES,
  type SharedState,
  type SharedStateEvent,
} from "../src/index.ts";

/** Generous: a loaded machine can delay timers by hundreds of milliseconds. */
const LATE_MS = 2000;

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not hold within ${timeoutMs} ms`);
}

function observe() {
  const events: SharedStateEvent[] = [];
  return { events, observer: { observeSharedState: (event: SharedStateEvent) => events.push(event) } };
}

const opened: SharedState[] = [];
async function open(
  url: string,
  lines: RecordedLine[] = [],
  extra: Partial<Parameters<typeof createSharedState>[0]> = {},
) {
  const state = await createSharedState({ url, logger: recordingLogger(lines) as never, ...extra });
  opened.push(state);
  return state;
}
afterEach(async () => {
  for (const state of opened.splice(0)) await state.close();
});

describe("shared state on a real redis-server", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("shares values between two clients, with the prefix and the expiry given", async () => {
    const a = await open(redis.url);
    const b = await open(redis.url);
    expect(a.status().state).toBe("up");
    a.store.set("v:test:one", "judged", 60_000);
    await eventually(async () => (await b.store.get(["v:test:one"]))[0] === "judged", 10_000, "value visible to b");
    expect(await b.store.get(["v:test:one", "v:test:absent"])).toEqual(["judged", undefined]);
    const ttl = Number(redis.cli("PTTL", `${KEY_PREFIX}v:test:one`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("does not store, and ignores when read, a value over the size limit", async () => {
    const a = await open(redis.url);
    a.store.set("v:test:big", "x".repeat(MAX_SHARED_VALUE_BYTES + 1), 60_000);
    a.store.set("v:test:small", "ok", 60_000);
    await eventually(async () => (await a.store.get(["v:test:small"]))[0] === "ok", 10_000, "small value stored");
    expect(redis.cli("EXISTS", `${KEY_PREFIX}v:test:big`)).toBe("0");
    // Written by someone else: read as absent.
    redis.cli(
      "EVAL",
      "return redis.call('SET', KEYS[1], string.rep('y', tonumber(ARGV[1])))",
      "1",
      `${KEY_PREFIX}v:test:foreign`,
      String(MAX_SHARED_VALUE_BYTES + 1),
    );
    expect(await a.store.get(["v:test:foreign"])).toEqual([undefined]);
  });

  it("keeps one rate-limit bucket per key for every replica, taken atomically", async () => {
    const keys = ["key-one-abcdef", "key-two-abcdef"];
    const a = (await open(redis.url)).rateLimiter({ requestsPerSecond: 0.01, burst: 20 }, keys);
    const b = (await open(redis.url)).rateLimiter({ requestsPerSecond: 0.01, burst: 20 }, keys);
    // 60 takes at once, spread over two replicas: exactly the burst is allowed.
    const waits = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).take(0)));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(20);
    expect(Math.min(...waits.filter((wait) => wait > 0))).toBeGreaterThan(1);
    // The other key has its own bucket.
    expect(await a.take(1)).toBe(0);
    // API keys never reach the store: only their hashes.
    const names = redis.cli("KEYS", `${KEY_PREFIX}r:*`);
    expect(names).not.toContain("key-one");
    expect(names.split("\n")).toHaveLength(2);
  });

  it("takes tokens in leases: a busy key costs a round trip per lease, and no replica admits more than the bucket", async () => {
    const { events, observer } = observe();
    const keys = ["lease-key-1"];
    // 320/s with a burst of 320: leases of 16 tokens (a sixteenth of the burst).
    expect(leaseSize(320, 320)).toBe(16);
    const a = (await open(redis.url, [], { observer })).rateLimiter({ requestsPerSecond: 320, burst: 320 }, keys);
    const b = (await open(redis.url)).rateLimiter({ requestsPerSecond: 320, burst: 320 }, keys);
    const started = performance.now();
    let allowed = 0;
    for (let i = 0; i < 200; i++) {
      const waits = await Promise.all([a.take(0), b.take(0), a.take(0), b.take(0)]);
      allowed += waits.filter((wait) => wait === 0).length;
    }
    const seconds = (performance.now() - started) / 1000;
    // Never more than the burst plus what refilled meanwhile, whichever replica asked.
    expect(allowed).toBeLessThanOrEqual(320 + Math.ceil(320 * seconds));
    expect(allowed).toBeGreaterThanOrEqual(320);
    // Replica a asked the store far less often than it was asked.
    const trips = events.filter((event) => event.kind === "op" && event.op === "take").length;
    expect(trips).toBeLessThan(400 / 4);
  });

  it("refills the shared bucket at the configured rate", async () => {
    const limiter = (await open(redis.url)).rateLimiter({ requestsPerSecond: 20, burst: 1 }, ["refill-key-1"]);
    expect(await limiter.take(0)).toBe(0);
    const wait = await limiter.take(0);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(0.05);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await limiter.take(0)).toBe(0);
  });

  it("keeps the password out of the status and the logs", async () => {
    const secured = await startRedisServer({ password: "s3cret-pass-word" });
    const lines: RecordedLine[] = [];
    try {
      const state = await open(secured.url, lines);
      expect(state.status()).toMatchObject({ state: "up", store: `redis://:***@127.0.0.1:${secured.port}/0` });
      state.store.set("v:test:pw", "1", 10_000);
      await eventually(async () => (await state.store.get(["v:test:pw"]))[0] === "1", 10_000, "value stored");
      const wrong = await open(secured.url.replace("s3cret-pass-word", "wrong-password"), lines);
      expect(wrong.status().state).not.toBe("up");
      expect(wrong.status().reason).toMatch(/WRONGPASS|invalid|auth/i);
      expect(await wrong.store.get(["v:test:pw"])).toEqual([undefined]);
    } finally {
      await secured.stop();
    }
    const text = JSON.stringify(lines) + JSON.stringify(opened.map((state) => state.status()));
    expect(text).not.toContain("s3cret-pass-word");
    expect(text).not.toContain("wrong-password");
  });
});

describe("faults of the store", () => {
  it("answers at once from local state while the store is killed, and reconnects when it is back", async () => {
    const redis = await startRedisServer();
    const lines: RecordedLine[] = [];
    const { events, observer } = observe();
    try {
      const state = await open(redis.url, lines, { observer });
      const limiter = state.rateLimiter({ requestsPerSecond: 0.01, burst: 2 }, ["killed-key-1"]);
      expect(await limiter.take(0)).toBe(0);
      await redis.kill();
      await eventually(() => state.status().state !== "up", 10_000, "state leaves up");
      // Every operation answers (none throws) and none waits: the store is not even tried.
      const started = performance.now();
      for (let i = 0; i < 50; i++) {
        expect(await state.store.get(["v:test:down"])).toEqual([undefined]);
        state.store.set("v:test:down", "x", 1000);
      }
      // The local bucket (full: it has not been used) decides while the store is down.
      expect(await limiter.take(0)).toBe(0);
      expect(await limiter.take(0)).toBe(0);
      expect(await limiter.take(0)).toBeGreaterThan(0);
      expect(performance.now() - started).toBeLessThan(LATE_MS);
      expect(events).toContainEqual({ kind: "op", op: "get", outcome: "offline" });
      expect(lines.some((line) => line.level === "warn" && /unreachable/.test(String(line.msg)))).toBe(true);

      await redis.restart();
      await eventually(() => state.status().state === "up", 30_000, "reconnected");
      expect(events).toContainEqual({ kind: "reconnect" });
      // The restarted server has no script cache: the bucket script is loaded again by itself.
      expect(await limiter.take(0)).toBe(0);
      state.store.set("v:test:back", "again", 10_000);
      await eventually(
        async () => (await state.store.get(["v:test:back"]))[0] === "again",
        10_000,
        "set after restart",
      );
      expect(lines.some((line) => line.level === "info" && /connected/.test(String(line.msg)))).toBe(true);
    } finally {
      await redis.stop();
    }
  });

  it("starts on local state when the store is down at start-up, and switches over when it comes", async () => {
    const redis = await startRedisServer();
    const url = redis.url;
    await redis.kill();
    try {
      const started = performance.now();
      const state = await open(url);
      // Waited about a second for the first connection, not more.
      expect(performance.now() - started).toBeLessThan(1000 + LATE_MS);
      expect(["connecting", "down"]).toContain(state.status().state);
      expect(await state.store.get(["v:test:x"])).toEqual([undefined]);
      await redis.restart();
      await eventually(() => state.status().state === "up", 30_000, "connected after start");
    } finally {
      await redis.stop();
    }
  });

  it("bounds every operation on a hung store, skips it for a moment, and uses it again once it answers", async () => {
    const redis = await startRedisServer();
    const { events, observer } = observe();
    try {
      const state = await open(redis.url, [], { observer, timeoutMs: 50 });
      const limiter = state.rateLimiter({ requestsPerSecond: 100, burst: 100 }, ["hung-key-1"]);
      redis.pause();
      const durations: number[] = [];
      for (let i = 0; i < 6; i++) {
        const started = performance.now();
        expect(await state.store.get([`v:test:hung-${i}`])).toEqual([undefined]);
        expect(await limiter.take(0)).toBe(0);
        durations.push(performance.now() - started);
      }
      // Each call waited at most about its bound (two operations of 50 ms, plus a loaded machine's delays).
      expect(Math.max(...durations)).toBeLessThan(100 + LATE_MS);
      expect(events.filter((event) => event.kind === "op" && event.outcome === "timeout").length).toBeGreaterThan(0);
      // After three late answers in a row the store is skipped: no more waiting.
      expect(["degraded", "down"]).toContain(state.status().state);
      expect(events).toContainEqual({ kind: "op", op: "get", outcome: "offline" });
      redis.resume();
      await eventually(
        async () => {
          state.store.set("v:test:resumed", "1", 10_000);
          return (await state.store.get(["v:test:resumed"]))[0] === "1";
        },
        30_000,
        "store used again after resume",
      );
      expect(state.status().state).toBe("up");
    } finally {
      redis.resume();
      await redis.stop();
    }
  });

  it("with a full store and no eviction: writes fail (counted), reads and calls go on", async () => {
    const redis = await startRedisServer({ maxmemory: "1mb", maxmemoryPolicy: "noeviction" });
    const { events, observer } = observe();
    try {
      // A generous bound: 300 writes at once must not time out on a loaded machine.
      const state = await open(redis.url, [], { observer, timeoutMs: 2000 });
      const value = "v".repeat(10_000);
      for (let i = 0; i < 300; i++) state.store.set(`v:test:fill-${i}`, value, 600_000);
      await eventually(
        () => events.some((event) => event.kind === "op" && event.op === "set" && event.outcome === "error"),
        10_000,
        "a write refused",
      );
      expect(await state.store.get(["v:test:fill-0"])).toHaveLength(1);
      // The bucket script writes too: refused, so the local bucket answers.
      const limiter = state.rateLimiter({ requestsPerSecond: 10, burst: 10 }, ["full-key-1"]);
      expect(await limiter.take(0)).toBe(0);
      expect(events).toContainEqual(expect.objectContaining({ kind: "op", op: "take", outcome: "error" }));
      expect(state.status().state).toBe("up");
    } finally {
      await redis.stop();
    }
  });

  it("with a full store and allkeys-lru eviction: old entries go, new ones are stored", async () => {
    const redis = await startRedisServer({ maxmemory: "2mb", maxmemoryPolicy: "allkeys-lru" });
    const { events, observer } = observe();
    try {
      const state = await open(redis.url, [], { observer, timeoutMs: 2000 });
      const value = "w".repeat(10_000);
      for (let i = 0; i < 600; i++) state.store.set(`v:test:lru-${i}`, value, 600_000);
      await eventually(async () => (await state.store.get(["v:test:lru-599"]))[0] === value, 10_000, "last one stored");
      expect(events.some((event) => event.kind === "op" && event.op === "set" && event.outcome === "error")).toBe(
        false,
      );
      const keys = Number(redis.cli("DBSIZE"));
      expect(keys).toBeLessThan(600);
      expect(Number(redis.cli("INFO", "stats").match(/evicted_keys:(\d+)/)?.[1])).toBeGreaterThan(0);
    } finally {
      await redis.stop();
    }
  });

  it("speaks TLS (rediss://) with a password from the URL", async () => {
    const redis = await startRedisServer({ tls: true, password: "tls-pass-1234" });
    try {
      const state = await open(redis.url, [], { ca: redis.ca });
      expect(state.status()).toMatchObject({ state: "up", store: `rediss://:***@127.0.0.1:${redis.port}/0` });
      state.store.set("v:test:tls", "secure", 10_000);
      await eventually(async () => (await state.store.get(["v:test:tls"]))[0] === "secure", 10_000, "value over TLS");
      // Without the certificate trusted, the connection is refused and local state answers.
      const untrusted = await open(redis.url);
      expect(untrusted.status().state).not.toBe("up");
      expect(await untrusted.store.get(["v:test:tls"])).toEqual([undefined]);
    } finally {
      await redis.stop();
    }
  });
});
