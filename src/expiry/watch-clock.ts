import type { ExpiryScheduler } from '../store/scheduler.ts';

export interface WatchClockOptions {
  readonly scheduler: ExpiryScheduler;
  /** The injected clock (the store's `now`). */
  readonly now: () => number;
  /** A run is due every this many ms of timer time. */
  readonly intervalMs: number;
  /** How often the clock is compared with the timers (≤ intervalMs; cheap: no storage access). */
  readonly checkMs: number;
  /** Drift beyond this (either way) counts as a jump. */
  readonly toleranceMs: number;
  readonly onInterval: () => void;
  /** `drift` > 0: the clock ran ahead of the timers (sleep, NTP step); < 0: it went back. */
  readonly onJump: (drift: number) => void;
}

/**
 * One chained timer that serves both the periodic run and clock-jump detection.
 *
 * Why compare against the *requested* delay rather than a monotonic clock: the injected
 * clock is the only time the store knows, timers are the only other time source every host
 * and every fake-timer library agree on, and a timer never fires early. So at each tick,
 * `clock elapsed − delay requested` is ~0 when nothing happened, large and positive after a
 * sleep (timers were paused, the wall clock was not) or a forward step, negative after a
 * backward step. A timer fired late by a throttled background tab also reads as a forward
 * jump: that costs one extra (index-served, cheap) run, which is the safe direction.
 *
 * Returns the function that stops the timer.
 */
export function watchClock(options: WatchClockOptions): () => void {
  const { scheduler, now, intervalMs, checkMs, toleranceMs } = options;
  let handle: unknown;
  let stopped = false;
  /** Timer time since the last periodic run. */
  let sinceRun = 0;

  const arm = () => {
    const delay = Math.min(checkMs, intervalMs - sinceRun);
    const clockAtArm = now();
    handle = scheduler.setTimeout(() => {
      if (stopped) return;
      const drift = now() - clockAtArm - delay;
      sinceRun += delay;
      const jumped = Math.abs(drift) > toleranceMs;
      const due = sinceRun >= intervalMs;
      // A jump triggers a run anyway, so it also restarts the interval.
      if (due || jumped) sinceRun = 0;
      arm();
      if (jumped) options.onJump(drift);
      else if (due) options.onInterval();
    }, delay);
  };

  arm();
  return () => {
    stopped = true;
    scheduler.clearTimeout(handle);
  };
}
