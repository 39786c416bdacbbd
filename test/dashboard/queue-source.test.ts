import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { pendingInstants } from '../../dashboard/src/queue-source.ts';
import type { ExpiryScheduler } from '../../src/index.ts';
import { DAY, actionArgs, storesWithClock } from '../queries/fixtures.ts';

/** setTimeout's longest wait (2^31 − 1 ms, ~24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** Timers the test fires by hand; it records each wait asked for. */
function manualTimers() {
  const armed = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  const timers: ExpiryScheduler = {
    setTimeout: (callback, ms) => {
      next += 1;
      armed.set(next, { callback, ms });
      return next;
    },
    clearTimeout: (handle) => void armed.delete(handle as number),
  };
  const only = () => {
    expect(armed.size).toBe(1);
    return [...armed.entries()][0]!;
  };
  return {
    timers,
    waits: () => [...armed.values()].map((timer) => timer.ms),
    fire: () => {
      const [handle, timer] = only();
      armed.delete(handle);
      timer.callback();
    },
  };
}

/**
 * The queue's instant moves when the next pending action expires. An action may expire a
 * month out (the bot sets expires_at): a wait that long does not fit a timer, which would
 * fire at once and re-arm every millisecond — a page spinning a core for the month.
 */
describe('pendingInstants (the dashboard queue’s clock)', () => {
  const setup = storesWithClock(() => getRxStorageMemory());
  let subscription: Subscription | undefined;
  afterEach(() => subscription?.unsubscribe());

  it('waits for an expiry a month out in timer-sized steps, then moves the instant exactly there', async () => {
    const { clock, store, actions } = await setup();
    const expiresAt = clock.now() + 30 * DAY;
    await actions.createActionRecommendation(actionArgs({ expires_at: expiresAt }));
    const { timers, waits, fire } = manualTimers();
    const instants: number[] = [];
    subscription = pendingInstants(store, 'w1', timers).subscribe((at) => instants.push(at));
    await expect.poll(() => waits().length).toBe(1);
    expect(instants).toEqual([clock.now()]);
    expect(waits()).toEqual([MAX_TIMER_MS]);

    // The timer's longest wait is over; the month is not: it re-arms for the rest, silently.
    clock.advance(MAX_TIMER_MS);
    fire();
    expect(waits()).toEqual([expiresAt - clock.now()]);
    expect(instants).toHaveLength(1);

    clock.set(expiresAt);
    fire();
    await expect.poll(() => instants).toEqual([instants[0], expiresAt]);
  });
});
