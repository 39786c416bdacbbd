import { BehaviorSubject, distinctUntilChanged, skip, type Observable } from 'rxjs';

/**
 * The store's clock: the injected base clock plus an offset towards the server's clock.
 *
 * The base stays the source of time (tests drive it; it is what the device says); the offset
 * only says how far the device is from the server. It is 0 until a replication with
 * `correctClock` learns it (or a previous session's value is loaded), so a store that never
 * syncs keeps its own time.
 */
export interface StoreClock {
  /** Base clock + applied offset: every default timestamp, expiry decision and time window. */
  readonly now: () => number;
  /** The injected clock, uncorrected (round-trip measurement needs the device's own time). */
  readonly base: () => number;
  /** The applied offset in ms (server − base): the current value first, then each change. */
  readonly offset$: Observable<number>;
  /** Emits after the applied offset changed (not on subscription): time-based waits must re-arm. */
  readonly changed$: Observable<number>;
  readonly offset: number;
  setOffset(offsetMs: number): void;
}

/**
 * Changes smaller than this are not applied: each change re-runs every time-reactive read, and
 * the estimate wobbles by a few ms with network jitter. Far below any skew that matters.
 */
export const OFFSET_APPLY_THRESHOLD_MS = 250;

/**
 * @example
 * const clock = correctedClock(() => Date.now());
 * clock.setOffset(-3_600_000); // this device runs an hour fast
 * clock.now(); // the server's time, give or take half a round trip
 */
export function correctedClock(base: () => number, initialOffsetMs = 0): StoreClock {
  const offset$ = new BehaviorSubject(finiteOr0(initialOffsetMs));
  const distinct$ = offset$.pipe(distinctUntilChanged());
  return {
    now: () => base() + offset$.value,
    base,
    offset$: distinct$,
    changed$: distinct$.pipe(skip(1)),
    get offset() {
      return offset$.value;
    },
    setOffset(offsetMs) {
      const next = Math.round(finiteOr0(offsetMs));
      // 0 always applies exactly (correction switched off); otherwise ignore jitter.
      if (next === 0 || Math.abs(next - offset$.value) >= OFFSET_APPLY_THRESHOLD_MS) offset$.next(next);
    },
  };
}

function finiteOr0(value: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
