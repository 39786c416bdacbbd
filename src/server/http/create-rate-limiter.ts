/** Requests per window per token; `false` turns limiting off. */
export interface RateLimitOptions {
  readonly requests: number;
  readonly windowMs: number;
}

/** Generous: a client syncing three collections flat out stays far below it. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { requests: 3_000, windowMs: 10_000 };

/**
 * A fixed-window counter per key (the caller's token). Fixed windows are coarse but cost
 * one map entry per active token, and the whole map is dropped each window, so it cannot grow.
 * Returns null when allowed, else the seconds to wait.
 *
 * @example
 * const limit = createRateLimiter({ requests: 100, windowMs: 1000 }, Date.now);
 * const wait = limit(token); if (wait !== null) respond429(wait);
 */
export function createRateLimiter(options: RateLimitOptions | false, now: () => number): (key: string) => number | null {
  if (options === false) return () => null;
  let windowStart = now();
  let counts = new Map<string, number>();
  return function rateLimit(key) {
    const time = now();
    if (time - windowStart >= options.windowMs || time < windowStart) {
      windowStart = time;
      counts = new Map();
    }
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count <= options.requests) return null;
    return Math.max(1, Math.ceil((windowStart + options.windowMs - time) / 1000));
  };
}
