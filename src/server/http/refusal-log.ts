/**
 * Refusals logged by the window, not by the request (issue 23: a flood of forged tokens wrote
 * one access line per 401, hundreds a second). The first refusal of a key (its status and its
 * caller: token subject, else client address) in a window is logged as usual; the others of
 * that window are counted, and the count is written once the window has ended — on the key's
 * next refusal (`repeated` on its line) or by a sweep run from any later request. No timer:
 * the clock is the server's (injectable) one. At most `maxKeys` keys are tracked; refusals of
 * further keys share one ("other"), so the table stays bounded when addresses are many.
 */
export interface RefusalLog {
  /**
   * A refused request of `key`: `undefined` when it is counted instead of logged, else the
   * number of its key's refusals that were counted and not logged since its last line.
   */
  admit(key: string): { readonly repeated: number } | undefined;
  /** Writes `summary` for each key whose window has ended with refusals counted, and forgets it (at most once a window). */
  sweep(summary: (key: string, count: number) => void): void;
}

export const REFUSAL_WINDOW_MS = 60_000;
const OTHER = 'other';

export function createRefusalLog(now: () => number, windowMs = REFUSAL_WINDOW_MS, maxKeys = 10_000): RefusalLog {
  const windows = new Map<string, { until: number; counted: number }>();
  let nextSweep = 0;
  return {
    admit(given) {
      const at = now();
      const key = windows.has(given) || windows.size < maxKeys ? given : OTHER;
      const window = windows.get(key);
      if (window !== undefined && at < window.until) {
        window.counted += 1;
        return undefined;
      }
      windows.set(key, { until: at + windowMs, counted: 0 });
      return { repeated: window?.counted ?? 0 };
    },
    sweep(summary) {
      const at = now();
      if (at < nextSweep) return;
      nextSweep = at + windowMs;
      for (const [key, window] of windows) {
        if (at < window.until) continue;
        if (window.counted > 0) summary(key, window.counted);
        windows.delete(key);
      }
    },
  };
}
