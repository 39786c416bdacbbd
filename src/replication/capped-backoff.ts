/**
 * Exponential backoff with a cap and full jitter: the n-th wait is drawn uniformly from
 * [0, min(max, base × 2^(n-1))]. Without the jitter every client a server restart cut off
 * came back at the same instants (issue 17.6); with it their reconnects spread over the window.
 * `random` is injectable for tests (default Math.random).
 */
export function cappedBackoff({
  baseMs,
  maxMs,
  random = Math.random,
}: {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}): (attempt: number) => number {
  return (attempt) => Math.round(random() * cappedDelay(baseMs, maxMs, attempt));
}

/** The window of the n-th wait: base, 2×base, 4×base … never above max. */
export function cappedDelay(baseMs: number, maxMs: number, attempt: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** replicateBrainStore's default `retryTime` (ms). */
export const DEFAULT_RETRY_TIME = 5_000;

/**
 * The waits of a replication with this `retryTime` (issue 17.6), all with full jitter drawn
 * from `random`: its change streams reconnect within a window from min(retryTime, 1 s)
 * doubling to max(retryTime, 30 s); its failed pulls, pushes and first syncs are retried within
 * one from min(retryTime, 1 s) doubling to retryTime.
 */
export function replicationBackoffs(
  retryTime: number,
  random: () => number,
): { readonly stream: (attempt: number) => number; readonly request: (attempt: number) => number } {
  const baseMs = Math.min(retryTime, 1_000);
  return {
    stream: cappedBackoff({ baseMs, maxMs: Math.max(retryTime, 30_000), random }),
    request: cappedBackoff({ baseMs, maxMs: retryTime, random }),
  };
}
