import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addSample, CLOCK_SAMPLE_WINDOW, estimateOffset, sampleOffset, type ClockSample } from '../../src/replication/clock-offset.ts';

const HOUR = 3_600_000;

/**
 * One request/response against a server whose clock is `offset` ahead of the client's: the
 * request takes `up` ms to arrive, the server stamps its time after `processing` ms, and the
 * response takes `down` ms back. Real time starts at `start`.
 */
function exchange(offset: number, start: number, up: number, processing: number, down: number): ClockSample {
  return { sentAt: start, serverTime: start + up + processing + offset, receivedAt: start + up + processing + down };
}

const offsets = fc.integer({ min: -26 * HOUR, max: 26 * HOUR });
const fast = fc.record({
  up: fc.integer({ min: 0, max: 20 }),
  processing: fc.integer({ min: 0, max: 10 }),
  down: fc.integer({ min: 0, max: 20 }),
});
// Outliers: a lopsided or very slow exchange (a stalled upload, a queued response).
const slow = fc.record({
  up: fc.integer({ min: 0, max: 30_000 }),
  processing: fc.integer({ min: 0, max: 5_000 }),
  down: fc.integer({ min: 0, max: 30_000 }),
});

describe('clock offset estimate (issue 12)', () => {
  it('one sample is off by at most half its round trip, however the delay splits', () => {
    fc.assert(
      fc.property(offsets, fc.integer({ min: 0, max: 2e12 }), slow, (offset, start, d) => {
        const sample = exchange(offset, start, d.up, d.processing, d.down);
        const { offset: estimate, roundTrip } = sampleOffset(sample);
        expect(Math.abs(estimate - offset)).toBeLessThanOrEqual(roundTrip / 2 + 1e-9);
      }),
    );
  });

  it('converges under jittered round trips: a majority of fast exchanges bounds the error by half the fastest round trips, whatever the outliers say', () => {
    fc.assert(
      fc.property(
        offsets,
        fc.integer({ min: 0, max: 2e12 }),
        fc.array(fast, { minLength: 1, maxLength: 30 }),
        fc.array(slow, { maxLength: 30 }),
        fc.integer(),
        (offset, start, fastOnes, slowOnes, seed) => {
          // Keep the slow ones a minority of the window; interleave them pseudo-randomly.
          const fastKept = fastOnes.slice(0, CLOCK_SAMPLE_WINDOW);
          const slowKept = slowOnes.slice(0, Math.min(fastKept.length - 1, CLOCK_SAMPLE_WINDOW - fastKept.length));
          const delays = [...fastKept, ...slowKept];
          const shuffled = delays.map((d, i) => ({ d, key: (Math.imul(seed ^ i, 2654435761) >>> 0) % 1000 })).sort((a, b) => a.key - b.key);
          let samples: ClockSample[] = [];
          let t = start;
          for (const { d } of shuffled) {
            samples = addSample(samples, exchange(offset, t, d.up, d.processing, d.down));
            t += 1_000 + d.up + d.processing + d.down;
          }
          const estimate = estimateOffset(samples)!;
          // Fast exchanges take at most 20 + 10 + 20 ms: half of that bounds the error.
          expect(Math.abs(estimate - offset)).toBeLessThanOrEqual(25);
        },
      ),
    );
  });

  it('follows a clock step within one window of new samples', () => {
    fc.assert(
      fc.property(
        offsets,
        offsets,
        fc.array(fast, { minLength: 2 * CLOCK_SAMPLE_WINDOW, maxLength: 2 * CLOCK_SAMPLE_WINDOW }),
        (before, after, delays) => {
          let samples: ClockSample[] = [];
          let t = 1_700_000_000_000;
          delays.forEach((d, i) => {
            const offset = i < CLOCK_SAMPLE_WINDOW ? before : after;
            samples = addSample(samples, exchange(offset, t, d.up, d.processing, d.down));
            t += 1_000;
            if (i === 2 * CLOCK_SAMPLE_WINDOW - 1) expect(Math.abs(estimateOffset(samples)! - after)).toBeLessThanOrEqual(25);
          });
          expect(samples).toHaveLength(CLOCK_SAMPLE_WINDOW);
        },
      ),
    );
  });

  it('with alike round trips, half a window of new samples is enough after a step', () => {
    let samples: ClockSample[] = [];
    for (let i = 0; i < CLOCK_SAMPLE_WINDOW; i++) samples = addSample(samples, exchange(0, i * 1_000, 5, 0, 5));
    for (let i = 0; i < Math.ceil(CLOCK_SAMPLE_WINDOW / 2); i++) samples = addSample(samples, exchange(HOUR, 1e6 + i * 1_000, 5, 0, 5));
    expect(estimateOffset(samples)).toBe(HOUR);
  });

  it('knows nothing without samples', () => {
    expect(estimateOffset([])).toBeUndefined();
  });
});
