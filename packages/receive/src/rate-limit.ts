/** Token-bucket settings: a steady rate and the burst a client may spend at once. */
export interface RateLimitOptions {
  /** Tokens added per second (sustained requests per second per key). */
  requestsPerSecond: number;
  /** Bucket size: requests allowed at once after a quiet period. Default: one second's worth. */
  burst?: number;
}

export interface RateLimiter {
  /**
   * Takes a token for `client`; returns 0 when allowed, else the seconds until one is available.
   * A limiter whose buckets live elsewhere (shared by replicas) answers with a promise.
   */
  take(client: number | string, now?: number): number | Promise<number>;
}

/** A limiter that always answers at once (the in-process one). */
export interface LocalRateLimiter extends RateLimiter {
  take(client: number | string, now?: number): number;
}

/**
 * A token bucket per client (here: per API key). State lives in this process only: with N replicas
 * each allows the configured rate, so the total is N times it.
 */
export function createRateLimiter(options: RateLimitOptions): LocalRateLimiter {
  const rate = options.requestsPerSecond;
  const burst = options.burst ?? Math.max(1, Math.ceil(rate));
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new RangeError(`rate limit must be a positive number of requests per second, got ${rate}`);
  if (!(burst >= 1) || !Number.isFinite(burst))
    throw new RangeError(`rate limit burst must be at least 1, got ${burst}`);
  const buckets = new Map<number | string, { tokens: number; updated: number }>();
  return {
    take(client, now = performance.now()) {
      let bucket = buckets.get(client);
      if (!bucket) {
        bucket = { tokens: burst, updated: now };
        buckets.set(client, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updated) / 1000) * rate);
      bucket.updated = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (1 - bucket.tokens) / rate;
    },
  };
}
