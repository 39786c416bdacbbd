import type { Timers } from './query-context.ts';

/** setTimeout cannot wait longer than this (2^31 - 1 ms); longer waits fire early and re-arm. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A delay setTimeout accepts: whole, between 0 and MAX_TIMER_MS. An app arming a timer for a
 * store instant (an action's expires_at may be a month out) passes its wait through this and
 * re-arms when the timer fires before the instant — or lets `whenClockReaches` do both.
 */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(Math.ceil(ms), 0), MAX_TIMER_MS);
}

/**
 * Calls `onReached` once, with the clock's reading, when the clock `now` has reached `at`,
 * waiting on `timers`. The timer may fire before the clock gets there — a wait longer than a
 * timer can hold (~24.8 days), or a clock that went back meanwhile (a new offset to the
 * server's clock) — and then it waits again: never early. Returns the cancel.
 *
 * @example
 * const cancel = whenClockReaches(defaultScheduler, store.now, action.expires_at, () => refresh());
 */
export function whenClockReaches(timers: Timers, now: () => number, at: number, onReached: (current: number) => void): () => void {
  let handle: unknown;
  let cancelled = false;
  const arm = () => {
    handle = timers.setTimeout(
      () => {
        if (cancelled) return;
        const current = now();
        if (current >= at) onReached(current);
        else arm();
      },
      timerDelay(at - now()),
    );
  };
  arm();
  return () => {
    cancelled = true;
    timers.clearTimeout(handle);
  };
}
