import { vi } from 'vitest';
import type { ExpiryScheduler } from '../../src/store/scheduler.ts';

/**
 * A clock for tests that fakes `Date` and our own scheduler only. Every other timer stays
 * real: RxDB's internal waits (`promiseWait`), fake-indexeddb's `setImmediate`, Node's. So
 * nothing outside our code waits on a frozen instant, which `useFakeClock` (all of
 * `setTimeout` faked) could cause under load (RELIABILITY.md, the expiry-order hang).
 *
 * Hand `scheduler` to the code under test (`startExpiryCleanup`, `replicateBrainStore`, the
 * bot); `advance(ms)` moves `Date` to each due timer in turn (in due order, then in the order
 * they were set, as fake timers do), fires it, lets real work run, and ends at now + ms.
 * `restore()` (or `vi.useRealTimers()`) gives `Date` back.
 */
export interface FakeClock {
  readonly scheduler: ExpiryScheduler;
  advance(ms: number): Promise<void>;
  /** Timers set and not yet fired or cleared. */
  readonly pending: number;
  restore(): void;
}

/** Real macrotask rounds between two fired timers: enough for a storage round trip to start. */
const ROUNDS_PER_TIMER = 3;

export function fakeClock(start: number): FakeClock {
  vi.useFakeTimers({ toFake: ['Date'], now: start });
  const timers = new Map<number, { at: number; callback: () => void }>();
  let nextId = 1;
  const scheduler: ExpiryScheduler = {
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { at: Date.now() + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  const earliestDue = (until: number): number | undefined => {
    let found: number | undefined;
    for (const [id, timer] of timers) {
      // Map order is insertion order, so the first of equal instants wins.
      if (timer.at <= until && (found === undefined || timer.at < timers.get(found)!.at)) found = id;
    }
    return found;
  };
  return {
    scheduler,
    get pending() {
      return timers.size;
    },
    async advance(ms) {
      const target = Date.now() + ms;
      for (let id = earliestDue(target); id !== undefined; id = earliestDue(target)) {
        const timer = timers.get(id)!;
        timers.delete(id);
        if (timer.at > Date.now()) vi.setSystemTime(timer.at);
        timer.callback();
        for (let round = 0; round < ROUNDS_PER_TIMER; round++) await new Promise((resolve) => setImmediate(resolve));
      }
      vi.setSystemTime(target);
    },
    restore() {
      vi.useRealTimers();
    },
  };
}
