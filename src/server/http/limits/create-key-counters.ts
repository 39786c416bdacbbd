import { requestError } from '../wire-error-response.ts';

/**
 * Requests being answered at once per key (the token's subject, else the token), issue 23:
 * one subject cannot occupy the database with slow requests while others wait. Past `max`,
 * RATE_LIMITED (429, retry in 1 s). `enter` returns the release.
 *
 * @example
 * const inFlight = createInFlightCap(32);
 * const leave = inFlight.enter(subject); try { await handle(); } finally { leave(); }
 */
export function createInFlightCap(max: number): { enter(key: string): () => void; held(key: string): number } {
  const counts = new Map<string, number>();
  return {
    enter(key) {
      const count = counts.get(key) ?? 0;
      if (count >= max) {
        throw requestError('RATE_LIMITED', `at most ${max} requests per subject are answered at once; retry shortly`, {
          retryAfterSeconds: 1,
        });
      }
      counts.set(key, count + 1);
      let left = false;
      return () => {
        if (left) return;
        left = true;
        const now = (counts.get(key) ?? 1) - 1;
        if (now <= 0) counts.delete(key);
        else counts.set(key, now);
      };
    },
    held: (key) => counts.get(key) ?? 0,
  };
}

/**
 * Failed authentications per client address in fixed windows (issue 23): forged tokens were
 * verified without limit (757 401s per second from one client). `refused(address)` says
 * whether the address is over `max` in this window (then answer 429 before verifying);
 * `failed(address)` counts one. The map is dropped each window, so it cannot grow for long.
 */
export function createAddressLimiter(
  max: number,
  windowMs: number,
  now: () => number,
): { refused(address: string): number | null; failed(address: string): void } {
  let windowStart = now();
  let counts = new Map<string, number>();
  const roll = (): void => {
    const time = now();
    if (time - windowStart >= windowMs || time < windowStart) {
      windowStart = time;
      counts = new Map();
    }
  };
  return {
    refused(address) {
      roll();
      if ((counts.get(address) ?? 0) < max) return null;
      return Math.max(1, Math.ceil((windowStart + windowMs - now()) / 1000));
    },
    failed(address) {
      roll();
      counts.set(address, (counts.get(address) ?? 0) + 1);
    },
  };
}
