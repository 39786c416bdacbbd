import { vi } from 'vitest';
import type { ExpiryScheduler } from '../../src/store/scheduler.ts';

/**
 * A clock for tests that fakes `Date` and our own scheduler only. Every other timer stays
 * real: RxDB's internal waits (`promiseWait`), fake-indexeddb's `setImmediate`, Node's. So
 * nothing outside our code waits on a frozen instant, which faking the global `setTimeout`
 * could cause under load (RELIABILITY.md, the expiry-order hang).
 *
 * Hand `scheduler` to the code under test (`createBrainStore` for its live queries,
 * `startExpiryCleanup`, `replicateBrainStore`, `syncEventStream`, the bot); `advance(ms)` moves `Date` to each due timer in turn (in due order, then in the order
 * they were set, as fake timers do), fires it, lets real work run, and ends ms later (it lets
 * real work run before it starts too, so a timer that work is about to set is not missed). Timers
 * count elapsed time: `vi.setSystemTime` jumps the wall clock without moving them, as a changed
 * system clock does (the expiry cleanup's jump detection relies on that).
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
const realWork = async () => {
  for (let round = 0; round < ROUNDS_PER_TIMER; round++) await new Promise((resolve) => setImmediate(resolve));
};

export function fakeClock(start: number): FakeClock {
  vi.useFakeTimers({ toFake: ['Date'], now: start });
  // Timers count elapsed time, not Date: a jump of the wall clock (vi.setSystemTime) moves no
  // timer, as on a real machine whose system clock is changed.
  let elapsed = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let nextId = 1;
  const scheduler: ExpiryScheduler = {
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { at: elapsed + Math.max(0, ms), callback });
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
  const moveTo = (at: number) => {
    if (at > elapsed) vi.setSystemTime(Date.now() + (at - elapsed));
    elapsed = Math.max(elapsed, at);
  };
  return {
    scheduler,
    get pending() {
      return timers.size;
    },
    async advance(ms) {
      const target = elapsed + ms;
      // Work already under way (a rejected fetch, a storage write) may set a timer first.
      await realWork();
      for (let id = earliestDue(target); id !== undefined; id = earliestDue(target)) {
        const timer = timers.get(id)!;
        timers.delete(id);
        moveTo(timer.at);
        timer.callback();
        await realWork();
      }
      moveTo(target);
    },
    restore() {
      vi.useRealTimers();
    },
  };
}
