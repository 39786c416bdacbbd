import { map } from 'rxjs';
import type { RxCollection } from 'rxdb';
import type { BrainActionDocument } from '../collections/brain-actions.ts';
import { earliestPendingAction } from '../queries/brain-actions.ts';
import { whenClockReaches, type ExpiryScheduler } from '../store/scheduler.ts';

export interface WatchEarliestExpiryOptions {
  readonly collection: RxCollection<BrainActionDocument>;
  readonly now: () => number;
  readonly scheduler: ExpiryScheduler;
  /** The earliest pending expires_at has been reached (by the injected clock). */
  readonly onDue: () => void;
  readonly onError: (error: unknown) => void;
}

export interface EarliestExpiryWatch {
  /** Recomputes the wait from the current clock (after a clock jump or a hidden tab). */
  rearm(): void;
  stop(): void;
}

/**
 * Keeps exactly one timer armed for the earliest pending `expires_at`.
 *
 * The earliest instant is watched through `earliestPendingAction` (a limit-1 read of the
 * [status, expires_at] index): RxDB's event-reduce updates it from the write events alone (a new earlier action,
 * the earliest one actioned or expired re-reads one document), so the cost per change and
 * per tick is O(1), never a scan of the pending actions.
 */
export function watchEarliestExpiry(options: WatchEarliestExpiryOptions): EarliestExpiryWatch {
  const { collection, now, scheduler } = options;
  let earliest: number | undefined;
  let cancelWait: (() => void) | undefined;
  let stopped = false;

  const clear = () => {
    cancelWait?.();
    cancelWait = undefined;
  };
  const arm = () => {
    clear();
    if (stopped || earliest === undefined) return;
    // Never early: a clock that went back, or a wait past ~24.8 days, waits again.
    cancelWait = whenClockReaches(scheduler, now, earliest, () => {
      cancelWait = undefined;
      options.onDue();
    });
  };

  const subscription = earliestPendingAction(collection)
    // No distinctUntilChanged: another document at the same instant (e.g. written just after a
    // run read the due ones) must re-arm too; arming is a clearTimeout + setTimeout.
    .$.pipe(map((doc) => doc?.expires_at))
    .subscribe({
      next: (at) => {
        earliest = at;
        arm();
      },
      error: options.onError,
    });

  return {
    rearm: arm,
    stop() {
      stopped = true;
      subscription.unsubscribe();
      clear();
    },
  };
}
