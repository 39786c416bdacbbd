import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { correctedClock, OFFSET_APPLY_THRESHOLD_MS } from '../../src/store/corrected-clock.ts';
import { trackClockOffset } from '../../src/replication/track-clock-offset.ts';

const HOUR = 3_600_000;

function setup(correct: boolean, initialOffset = 0) {
  let base = 1_700_000_000_000;
  const clock = correctedClock(() => base, initialOffset);
  const stored$ = new Subject<number | undefined>();
  const persisted: number[] = [];
  const steps: number[] = [];
  clock.changed$.subscribe((offset) => steps.push(offset));
  const tracker = trackClockOffset({
    clock,
    correct,
    stored$,
    persist: async (offset) => void persisted.push(offset),
    onError: (error) => {
      throw error;
    },
  });
  const estimates: (number | null)[] = [];
  tracker.offset$.subscribe((offset) => estimates.push(offset));
  /** A response from a server `offset` ahead, with a round trip of `rtt` ms. */
  const respond = (offset: number, rtt = 10) => {
    const sentAt = base;
    base += rtt;
    tracker.add({ sentAt, receivedAt: base, serverTime: sentAt + rtt / 2 + offset });
  };
  return { clock, stored$, persisted, steps, estimates, respond, tracker, advance: (ms: number) => void (base += ms) };
}

describe('the store clock follows the offset estimate (issue 12)', () => {
  it('applies a measured offset, persists it, and ignores jitter below the threshold', () => {
    const t = setup(true);
    t.respond(-HOUR);
    expect(t.clock.now()).toBe(t.clock.base() - HOUR);
    expect(t.persisted).toEqual([-HOUR]);
    expect(t.steps).toEqual([-HOUR]);
    t.respond(-HOUR + OFFSET_APPLY_THRESHOLD_MS - 1);
    t.respond(-HOUR + OFFSET_APPLY_THRESHOLD_MS - 1);
    expect(t.clock.offset).toBe(-HOUR);
    expect(t.steps).toEqual([-HOUR]);
  });

  it('another tab’s (or session’s) stored offset applies until this tab measures its own', () => {
    const t = setup(true);
    t.stored$.next(2 * HOUR);
    expect(t.clock.offset).toBe(2 * HOUR);
    expect(t.estimates.at(-1)).toBe(2 * HOUR);
    t.respond(HOUR);
    t.stored$.next(2 * HOUR); // e.g. a stale write from another tab: this tab's measurement wins
    expect(t.clock.offset).toBe(HOUR);
  });

  it('offline, nothing changes: the last offset stays in use', () => {
    const t = setup(true);
    t.respond(25 * HOUR);
    t.advance(3 * 24 * HOUR);
    expect(t.clock.now() - t.clock.base()).toBe(25 * HOUR);
  });

  it('correctClock false: the device keeps its own time (even with an offset stored), but the estimate is still reported', () => {
    const t = setup(false, 5 * HOUR);
    expect(t.clock.offset).toBe(0);
    t.stored$.next(5 * HOUR);
    t.respond(-HOUR);
    expect(t.clock.offset).toBe(0);
    expect(t.persisted).toEqual([]);
    expect(t.estimates.at(-1)).toBe(-HOUR);
  });
});
