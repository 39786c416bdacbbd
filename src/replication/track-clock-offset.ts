import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { StoreClock } from '../store/corrected-clock.ts';
import { addSample, estimateOffset, type ClockSample } from './clock-offset.ts';

export interface ClockOffsetTrackerOptions {
  readonly clock: StoreClock;
  /** Apply the estimate to the store's clock (replicateBrainStore's `correctClock`). */
  readonly correct: boolean;
  /** The last offset another session or tab stored, and its changes. */
  readonly stored$: Observable<number | undefined>;
  /** Keeps an applied offset for the next session (a reload while offline). */
  readonly persist: (offsetMs: number, measuredAt: number) => Promise<void>;
  readonly onError: (error: unknown) => void;
}

export interface ClockOffsetTracker {
  /** The estimated offset (server clock − device clock, ms); null until known. */
  readonly offset$: Observable<number | null>;
  add(sample: ClockSample): void;
  stop(): void;
}

/**
 * Turns the server-time samples of sync responses into the store clock's offset. Without a
 * sample (offline) the last known offset — this session's, or the stored one — stays in use.
 */
export function trackClockOffset(options: ClockOffsetTrackerOptions): ClockOffsetTracker {
  const { clock, correct } = options;
  let samples: ClockSample[] = [];
  const offset$ = new BehaviorSubject<number | null>(null);
  // Correction off: the store keeps the device's own time, even if an offset was stored.
  if (!correct) clock.setOffset(0);

  const stored: Subscription = options.stored$.subscribe({
    next: (offset) => {
      if (offset === undefined || samples.length > 0) return;
      // Nothing measured here yet: the stored estimate (another tab's, or the last session's) is the best known.
      if (offset$.value !== offset) offset$.next(offset);
      if (correct) clock.setOffset(offset);
    },
    error: options.onError,
  });

  return {
    offset$: offset$.asObservable(),
    add(sample) {
      samples = addSample(samples, sample);
      const estimate = estimateOffset(samples);
      if (estimate === undefined) return;
      const rounded = Math.round(estimate);
      if (rounded !== offset$.value) offset$.next(rounded);
      if (!correct) return;
      const before = clock.offset;
      clock.setOffset(rounded);
      if (clock.offset !== before) options.persist(clock.offset, sample.receivedAt).catch(options.onError);
    },
    stop() {
      stored.unsubscribe();
      offset$.complete();
    },
  };
}
