/**
 * The state replicas share through Valkey or Redis (SHARED_STATE_URL), through `ioredis`: a small
 * key-value store for the engines' verdicts and the streamed-answer judgements, and the rate-limit
 * buckets. Every operation is bounded: it answers within `timeoutMs` or is treated as a miss (a
 * get), dropped (a set) or decided by the local bucket (a rate-limit take). A store that is down,
 * hangs or restarts never fails a call; the client reconnects by itself, and while the store cannot
 * be used every operation goes local at once, without waiting. Keys and values never hold end-user
 * text or API keys: callers hash what they key on, and API keys are hashed here.
 */
import { createHash } from "node:crypto";
import { createRateLimiter, type Logger, type RateLimiter, type RateLimitOptions } from "@dify-ext/receive";
import { Redis } from "ioredis";
import { parseSharedStateUrl, type SharedStateTarget } from "./url.ts";

/** Default bound of one operation on the store, in milliseconds. */
export const DEFAULT_SHARED_STATE_TIMEOUT_MS = 50;
/** Largest value stored or read back; a larger one is not stored, and ignored when read. */
export const MAX_SHARED_VALUE_BYTES = 256 * 1024;
/** Every key starts with this: the project, and the version of the layout of keys and values. */
export const KEY_PREFIX = "dify-ext:1:";
/** Consecutive timed-out operations after which the store is skipped for a while ({@link COOLDOWN_MS}). */
const TIMEOUTS_BEFORE_COOLDOWN = 3;
/** How long a store that keeps timing out is skipped before it is tried again (doubles up to 30 s). */
const COOLDOWN_MS = 1000;
const MAX_COOLDOWN_MS = 30_000;
/** A socket that receives nothing this long after a command is dropped and reconnected. */
const SOCKET_TIMEOUT_MS = 2000;
/** Longest wait for the first connection at start-up (the app starts either way). */
const FIRST_CONNECT_WAIT_MS = 1000;
/** At most one log line about failed operations per this many milliseconds. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/** What the metrics count (Prometheus under Node). */
export type SharedStateEvent =
  | {
      kind: "op";
      op: "get" | "set" | "take";
      /** `offline`: not tried, because the store cannot be used now (local state answered). */
      outcome: "ok" | "error" | "timeout" | "offline";
      seconds?: number;
    }
  | { kind: "state"; up: boolean }
  | { kind: "reconnect" };

export interface SharedStateObserver {
  observeSharedState(event: SharedStateEvent): void;
}

/** How the store is doing, for `/readyz`'s detail and the logs. */
export interface SharedStateStatus {
  /**
   * `up`: in use; `connecting`: not connected yet (or reconnecting); `down`: the connection failed
   * or was lost; `degraded`: connected, but operations timed out and it is skipped for a moment.
   * Local state answers in every state but `up`.
   */
  state: "up" | "connecting" | "down" | "degraded";
  /** SHARED_STATE_URL with the password replaced by `***`. */
  store: string;
  /** When it entered this state (ISO 8601). */
  since: string;
  /** Why it is not up (the last connection error), when it is not. */
  reason?: string;
}

/**
 * A key-value store shared by the replicas, as the engines use it (structurally the engines'
 * `SharedStore`). Keys are short and free of user text (callers hash them); this prefixes them.
 */
export interface SharedStore {
  /** The values (`undefined` when absent, too large, or the store did not answer in time). Never rejects. */
  get(keys: readonly string[]): Promise<Array<string | undefined>>;
  /** Stores a value for `ttlMs` without waiting for it; failures are counted, never thrown. */
  set(key: string, value: string, ttlMs: number): void;
}

export interface SharedState {
  /** The store as engines and the stream cache use it. */
  readonly store: SharedStore;
  /**
   * A rate limiter whose buckets live in the store: one token bucket per API key for all
   * replicas, taken atomically on the server. While the store cannot answer in time, each replica
   * decides with a local bucket of the same settings. `apiKeys` are the receive endpoint's keys in
   * its order (the limiter is called with a key's index); only their hashes reach the store.
   */
  rateLimiter(options: RateLimitOptions, apiKeys: readonly string[]): RateLimiter;
  status(): SharedStateStatus;
  /** The bound of one operation, in milliseconds. */
  readonly timeoutMs: number;
  /** Closes the connection (at shutdown). */
  close(): Promise<void>;
}

export interface SharedStateOptions {
  /** SHARED_STATE_URL. */
  url: string;
  /** Bound of one operation (default {@link DEFAULT_SHARED_STATE_TIMEOUT_MS}). */
  timeoutMs?: number;
  logger: Logger;
  observer?: SharedStateObserver;
  /** Certificates to trust for `rediss://` besides the system's (tests); deployments use NODE_EXTRA_CA_CERTS. */
  ca?: string;
}

/**
 * The token bucket, run atomically by the server: `KEYS[1]` the bucket; `ARGV` rate per second,
 * burst, expiry in ms, and how many tokens the replica asks for (a lease). Grants what the bucket
 * holds, up to that; answers `"<granted> <seconds to wait for one token>"`.
 */
const TAKE_TOKENS = `
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(bucket[1])
local updated = tonumber(bucket[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate / 1000)
local granted = math.min(tonumber(ARGV[4]), math.floor(tokens))
local wait = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tostring(granted) .. ' ' .. tostring(wait)
`;

/**
 * How long tokens a replica took from the shared bucket and has not spent yet stay its own; then
 * they are dropped (never given back: the limit errs on the side of admitting fewer).
 */
const LEASE_MS = 1000;

/**
 * Tokens a replica takes from the shared bucket at once: about 50 ms worth of the rate, at most a
 * sixteenth of the burst, at least one. A busy key then costs one round trip per lease instead of
 * one per call; no replica ever admits a call without a token taken from the shared bucket.
 */
export function leaseSize(requestsPerSecond: number, burst: number): number {
  return Math.max(1, Math.min(Math.floor(burst / 16), Math.floor(requestsPerSecond / 20)));
}

class TimeoutError extends Error {}

type TakeTokenClient = Redis & {
  takeTokens(key: string, rate: number, burst: number, ttlMs: number, want: number): Promise<string>;
};

/** Tokens of a shared bucket a replica holds (a lease), and what it is waiting for. */
interface Lease {
  tokens: number;
  expires: number;
  /** The request for more tokens under way, if any: callers that find the lease empty wait for it. */
  pending?: Promise<number>;
  /** Callers waiting for tokens now: a lease asks for at least this many. */
  waiting: number;
  /**
   * The bucket was empty: no token before this time (`performance.now()`), since tokens come only
   * with time. Calls until then are refused without asking the store.
   */
  emptyUntil: number;
}

/** Resolves with `promise`, or rejects with a `TimeoutError` after `ms`. */
function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A short, stable id of an API key for its bucket's name (the key itself never reaches the store). */
function bucketId(apiKey: string): string {
  return createHash("sha256").update(`dify-ext rate limit\u0000${apiKey}`).digest("base64url").slice(0, 22);
}

/**
 * Connects to SHARED_STATE_URL and returns the shared state. Waits at most about a second for the
 * first connection: a store that is down at start-up does not stop the app, which starts on local
 * state and switches over when the store answers.
 */
export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  const target: SharedStateTarget = parseSharedStateUrl(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHARED_STATE_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError("shared state timeoutMs must be >= 1");
  const { logger, observer } = options;

  const client = new Redis({
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
    ...(target.tls && { tls: { ...(options.ca && { ca: options.ca }) } }),
    connectionName: "dify-ext",
    // Commands never wait for a connection: without one they fail at once and local state answers.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    connectTimeout: 2000,
    socketTimeout: SOCKET_TIMEOUT_MS,
    // Reconnect forever: 100 ms, doubling, at most 2 s between attempts.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times - 1, 5), 2000),
    reconnectOnError: null,
    scripts: { takeTokens: { lua: TAKE_TOKENS, numberOfKeys: 1 } },
  }) as TakeTokenClient;

  let state = "connecting" as "connecting" | "up" | "down";
  let since = new Date();
  let reason: string | undefined;
  let consecutiveTimeouts = 0;
  let cooldownMs = COOLDOWN_MS;
  let skipUntil = 0;
  let closing = false;

  const moveTo = (next: "up" | "down", why?: string) => {
    if (why !== undefined) reason = why;
    if (state === next) return;
    const previous = state;
    state = next;
    since = new Date();
    observer?.observeSharedState({ kind: "state", up: next === "up" });
    if (next === "up") {
      consecutiveTimeouts = 0;
      skipUntil = 0;
      cooldownMs = COOLDOWN_MS;
      reason = undefined;
      logger.info({ sharedState: target.redacted }, "shared state store connected: caches and rate limits are shared");
    } else if (!closing) {
      logger.warn(
        { sharedState: target.redacted, reason, was: previous },
        "shared state store unreachable: each replica uses local state until it is back (reconnecting)",
      );
    }
  };
  client.on("ready", () => moveTo("up"));
  client.on("error", (error: Error) => {
    reason = error.message;
    if (state !== "up") return;
    moveTo("down", error.message);
  });
  client.on("close", () => moveTo("down"));
  client.on("reconnecting", () => observer?.observeSharedState({ kind: "reconnect" }));
  observer?.observeSharedState({ kind: "state", up: false });

  let failedSinceLog = 0;
  let lastErrorLog = 0;
  /** Counts a failed operation; logs at most one line per interval, never with keys or values. */
  const failed = (op: "get" | "set" | "take", error: unknown, seconds: number) => {
    const timedOut = error instanceof TimeoutError;
    observer?.observeSharedState({ kind: "op", op, outcome: timedOut ? "timeout" : "error", seconds });
    if (timedOut) {
      consecutiveTimeouts += 1;
      if (consecutiveTimeouts >= TIMEOUTS_BEFORE_COOLDOWN && Date.now() >= skipUntil) {
        skipUntil = Date.now() + cooldownMs;
        logger.warn(
          { sharedState: target.redacted, timeoutMs, skipMs: cooldownMs },
          "shared state store is answering late: skipped for a moment, local state answers",
        );
        cooldownMs = Math.min(cooldownMs * 2, MAX_COOLDOWN_MS);
      }
    }
    failedSinceLog += 1;
    const now = Date.now();
    if (now - lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
      logger.warn(
        {
          sharedState: target.redacted,
          op,
          failures: failedSinceLog,
          err: timedOut ? `no answer within ${timeoutMs} ms` : (error as Error).message,
        },
        "shared state operations failed; local state answered",
      );
      lastErrorLog = now;
      failedSinceLog = 0;
    }
  };
  const succeeded = (op: "get" | "set" | "take", seconds: number) => {
    consecutiveTimeouts = 0;
    if (skipUntil !== 0) {
      skipUntil = 0;
      cooldownMs = COOLDOWN_MS;
    }
    observer?.observeSharedState({ kind: "op", op, outcome: "ok", seconds });
  };
  const usable = () => state === "up" && Date.now() >= skipUntil;

  const store: SharedStore = {
    async get(keys) {
      if (keys.length === 0) return [];
      if (!usable()) {
        observer?.observeSharedState({ kind: "op", op: "get", outcome: "offline" });
        return keys.map(() => undefined);
      }
      const started = performance.now();
      try {
        const values = await bounded(client.mget(keys.map((key) => KEY_PREFIX + key)), timeoutMs);
        succeeded("get", (performance.now() - started) / 1000);
        return values.map((value) => (value === null || value.length > MAX_SHARED_VALUE_BYTES ? undefined : value));
      } catch (error) {
        failed("get", error, (performance.now() - started) / 1000);
        return keys.map(() => undefined);
      }
    },
    set(key, value, ttlMs) {
      if (value.length > MAX_SHARED_VALUE_BYTES) return;
      if (!usable()) {
        observer?.observeSharedState({ kind: "op", op: "set", outcome: "offline" });
        return;
      }
      const started = performance.now();
      bounded(client.set(KEY_PREFIX + key, value, "PX", Math.max(1, Math.round(ttlMs))), timeoutMs).then(
        () => succeeded("set", (performance.now() - started) / 1000),
        (error) => failed("set", error, (performance.now() - started) / 1000),
      );
    },
  };

  // The app starts on local state if the store does not answer soon.
  if (state !== "up") {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, FIRST_CONNECT_WAIT_MS);
      function done() {
        clearTimeout(timer);
        client.off("ready", done);
        resolve();
      }
      client.once("ready", done);
    });
  }
  if (state !== "up") {
    logger.warn(
      { sharedState: target.redacted, reason },
      "shared state store not reachable at start: starting on local state, reconnecting in the background",
    );
  }

  return {
    store,
    timeoutMs,
    rateLimiter(limit, apiKeys) {
      const local = createRateLimiter(limit);
      const rate = limit.requestsPerSecond;
      const burst = limit.burst ?? Math.max(1, Math.ceil(rate));
      // A full bucket is the same as none: the bucket expires once it would have refilled.
      const ttlMs = Math.ceil((burst / rate) * 1000) + 1000;
      const want = leaseSize(rate, burst);
      const keys = apiKeys.map((apiKey) => `${KEY_PREFIX}r:${bucketId(apiKey)}`);
      const leases = new Map<string, Lease>();
      /**
       * Asks the shared bucket for a lease; resolves with the seconds to wait (0: tokens granted;
       * -1: the store did not answer, and each caller asks the local bucket).
       */
      const renew = async (key: string, lease: Lease): Promise<number> => {
        // Callers of this turn of the event loop join first, so one round trip serves them all.
        await new Promise<void>((resolve) => process.nextTick(resolve));
        const started = performance.now();
        const asked = Math.min(burst, Math.max(want, lease.waiting));
        return bounded(client.takeTokens(key, rate, burst, ttlMs, asked), timeoutMs).then(
          (answer) => {
            succeeded("take", (performance.now() - started) / 1000);
            const [granted, wait] = answer.split(" ").map(Number);
            if (granted !== undefined && granted >= 1) {
              lease.tokens = granted;
              lease.expires = Date.now() + LEASE_MS;
              return 0;
            }
            const seconds = wait !== undefined && Number.isFinite(wait) && wait > 0 ? wait : 1 / rate;
            lease.emptyUntil = performance.now() + seconds * 1000;
            return seconds;
          },
          (error) => {
            failed("take", error, (performance.now() - started) / 1000);
            return -1;
          },
        );
      };
      const takeShared = async (key: string, lease: Lease, client_: number | string): Promise<number> => {
        const deadline = performance.now() + timeoutMs;
        lease.waiting += 1;
        try {
          // Tokens that arrive may be spent by the callers before this one: then ask again, until
          // the bucket refuses or the time bound passes (then the local bucket decides, as when
          // the store does not answer in time).
          while (performance.now() < deadline) {
            if (lease.tokens >= 1 && Date.now() < lease.expires) {
              lease.tokens -= 1;
              return 0;
            }
            if (!lease.pending) {
              lease.pending = renew(key, lease).finally(() => {
                lease.pending = undefined;
              });
            }
            const wait = await lease.pending;
            if (wait < 0) return local.take(client_);
            if (wait > 0) return wait;
          }
          return local.take(client_);
        } finally {
          lease.waiting -= 1;
        }
      };
      return {
        take(client_) {
          const key = typeof client_ === "number" ? keys[client_] : `${KEY_PREFIX}r:${bucketId(client_)}`;
          if (key === undefined || !usable()) {
            observer?.observeSharedState({ kind: "op", op: "take", outcome: "offline" });
            return local.take(client_);
          }
          let lease = leases.get(key);
          if (!lease) {
            lease = { tokens: 0, expires: 0, waiting: 0, emptyUntil: 0 };
            leases.set(key, lease);
          }
          // Most calls of a busy key spend a token this replica already holds: no round trip.
          if (lease.tokens >= 1 && Date.now() < lease.expires) {
            lease.tokens -= 1;
            return 0;
          }
          const now = performance.now();
          if (now < lease.emptyUntil) return (lease.emptyUntil - now) / 1000;
          return takeShared(key, lease, client_);
        },
      };
    },
    status() {
      const shown: SharedStateStatus["state"] = state === "up" ? (Date.now() < skipUntil ? "degraded" : "up") : state;
      return {
        state: shown,
        store: target.redacted,
        since: since.toISOString(),
        ...(shown !== "up" && reason !== undefined && { reason }),
        ...(shown === "degraded" && { reason: `operations took longer than ${timeoutMs} ms` }),
      };
    },
    async close() {
      closing = true;
      try {
        await bounded(client.quit(), 1000);
      } catch {
        client.disconnect();
      }
    },
  };
}
