/**
 * One reading of the server's clock: the client's base clock when the request left and when
 * its response arrived, and the server's time stamped on that response.
 */
export interface ClockSample {
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly serverTime: number;
}

/**
 * A sample whose round trip took longer than this says little (it may span a laptop's sleep
 * or a stalled connection): it is not kept. Its error bound would be half of it anyway.
 */
export const MAX_SAMPLE_ROUND_TRIP_MS = 60_000;

/** Samples kept: enough to outvote a few slow or lopsided round trips, few enough to follow a clock step quickly. */
export const CLOCK_SAMPLE_WINDOW = 9;

/**
 * What one sample says the offset is (server clock − client clock), and how far off it can
 * be. The server stamped its time somewhere between the request leaving and the response
 * arriving, so taking the midpoint of the round trip is wrong by at most half of it, however
 * the delay splits between the two directions.
 */
export function sampleOffset(sample: ClockSample): { readonly offset: number; readonly roundTrip: number } {
  const roundTrip = Math.max(0, sample.receivedAt - sample.sentAt);
  return { offset: sample.serverTime - (sample.sentAt + roundTrip / 2), roundTrip };
}

/**
 * The offset (ms to add to the client's clock to read the server's) from recent samples, or
 * undefined with none.
 *
 * Why the median of the faster half: a sample's error is bounded by half its round trip, so
 * the fastest round trips are the most trustworthy; the median among them ignores the odd
 * one whose delay was lopsided. Guarantee (property-tested): when more than half of the
 * samples have a round trip ≤ r, the estimate is within r/2 of the true offset, whatever the
 * other samples say.
 *
 * @example
 * estimateOffset([{ sentAt: 1_000, receivedAt: 1_040, serverTime: 3_601_020 }]); // 3_600_000
 */
export function estimateOffset(samples: readonly ClockSample[]): number | undefined {
  if (samples.length === 0) return undefined;
  // Equal round trips: the newer sample first (it knows about a clock step the older does not).
  const readings = samples
    .map((sample, index) => ({ ...sampleOffset(sample), index }))
    .sort((a, b) => a.roundTrip - b.roundTrip || b.index - a.index);
  const fastest = readings.slice(0, Math.ceil(readings.length / 2)).map((reading) => reading.offset);
  fastest.sort((a, b) => a - b);
  const middle = Math.floor(fastest.length / 2);
  return fastest.length % 2 === 1 ? fastest[middle]! : (fastest[middle - 1]! + fastest[middle]!) / 2;
}

/**
 * The most recent samples, the newest last: appending keeps at most CLOCK_SAMPLE_WINDOW, so
 * a device whose clock was stepped (NTP, a VM resumed) is followed within one window of
 * responses (about half of one when round trips are alike).
 */
export function addSample(samples: readonly ClockSample[], sample: ClockSample, window = CLOCK_SAMPLE_WINDOW): ClockSample[] {
  if (sampleOffset(sample).roundTrip > MAX_SAMPLE_ROUND_TRIP_MS) return [...samples];
  return [...samples, sample].slice(-window);
}
