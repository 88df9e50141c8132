// Per-source token buckets: `rate` messages per second with a burst of one second's worth.
// The table is bounded: idle buckets are swept, and past `maxSources` the oldest are evicted.

export interface RateLimiter {
  /** Takes a token for `source`; false when its bucket is empty (drop the message). */
  take(source: string, now?: number): boolean;
  readonly size: number;
}

export function createRateLimiter(rate: number, maxSources = 100_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = 0;
  return {
    take(source, now = Date.now()) {
      if (now - lastSweep > 10_000) {
        lastSweep = now;
        // A bucket idle for long enough to be full again is the same as no bucket.
        for (const [k, b] of buckets) if (b.tokens + ((now - b.at) / 1000) * rate >= rate) buckets.delete(k);
      }
      let b = buckets.get(source);
      if (!b) {
        if (buckets.size >= maxSources) {
          const oldest = buckets.keys().next();
          if (!oldest.done) buckets.delete(oldest.value);
        }
        b = { tokens: rate, at: now };
        buckets.set(source, b);
      } else {
        b.tokens = Math.min(rate, b.tokens + (Math.max(0, now - b.at) / 1000) * rate);
        b.at = now;
      }
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    get size() {
      return buckets.size;
    },
  };
}
