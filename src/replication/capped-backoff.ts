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
