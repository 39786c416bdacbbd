/**
 * whenClockReaches: the one "wake me at this store instant" that the live queries, the expiry
 * cleanup and the dashboard's queue share. Never early, whatever the timers or the clock do.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, whenClockReaches } from '../../src/queries/clock-waits.ts';
import { fakeClock, type FakeClock } from '../helpers/fake-clock.ts';
import { fuzzSettings } from '../helpers/fuzz-settings.ts';

const START = Date.UTC(2026, 11, 6);
let clock: FakeClock | undefined;
afterEach(() => clock?.restore());

describe('whenClockReaches', () => {
  it('fires once, at the instant, with the clock reading', async () => {
    clock = fakeClock(START);
    const fired: number[] = [];
    whenClockReaches(clock.scheduler, Date.now, START + 5_000, (now) => fired.push(now));
    await clock.advance(4_999);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([START + 5_000]);
    await clock.advance(60_000);
    expect(fired).toEqual([START + 5_000]);
    expect(clock.pending).toBe(0);
  });

  it('a wait longer than a timer holds fires on time, not when the first timer runs out', async () => {
    clock = fakeClock(START);
    const fired: number[] = [];
    const at = START + MAX_TIMER_MS + 86_400_000;
    whenClockReaches(clock.scheduler, Date.now, at, (now) => fired.push(now));
    await clock.advance(MAX_TIMER_MS);
    expect(fired).toEqual([]);
    await clock.advance(86_400_000);
    expect(fired).toEqual([at]);
  });

  it('cancelled, it never fires and leaves no timer', async () => {
    clock = fakeClock(START);
    const fired: number[] = [];
    const cancel = whenClockReaches(clock.scheduler, Date.now, START + 1_000, (now) => fired.push(now));
    cancel();
    await clock.advance(10_000);
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('never early: whatever steps the clock takes back while it waits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.record({ after: fc.integer({ min: 1, max: 50_000 }), back: fc.integer({ min: 0, max: 30_000 }) }), { maxLength: 5 }),
        async (wait, steps) => {
          const local = fakeClock(START);
          // The store's clock: the device's minus the offsets learned meanwhile.
          let offset = 0;
          const now = () => Date.now() - offset;
          const at = START + wait;
          const fired: number[] = [];
          try {
            whenClockReaches(local.scheduler, now, at, (reading) => fired.push(reading));
            for (const step of steps) {
              await local.advance(step.after);
              offset += step.back;
            }
            await local.advance(wait + steps.reduce((sum, step) => sum + step.back, 0) + 1);
            expect(fired).toHaveLength(1);
            expect(fired[0]!).toBeGreaterThanOrEqual(at);
          } finally {
            local.restore();
          }
        },
      ),
      fuzzSettings('whenClockReaches', 50),
    );
  });
});
