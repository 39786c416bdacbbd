/** Exponential backoff with a cap: base, 2×base, 4×base … never above max. */
export function cappedBackoff({ baseMs, maxMs }: { baseMs: number; maxMs: number }): (attempt: number) => number {
  return (attempt) => Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
