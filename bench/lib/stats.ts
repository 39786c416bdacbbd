import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Timing and summary statistics for benchmarks. Timings use performance.now(). */

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Nearest-rank percentile (p in 0..100) of the samples; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[rankIndex(sorted.length, p)]!;
}

/** The run whose `ms` is the median (the same rank as median()), to break a median figure down. */
export function medianRun<T extends { readonly ms: number }>(runs: readonly T[]): T {
  if (runs.length === 0) throw new Error('no runs');
  return [...runs].sort((a, b) => a.ms - b.ms)[rankIndex(runs.length, 50)]!;
}

/** Nearest-rank index of percentile p in n sorted samples. */
function rankIndex(n: number, p: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
}

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    min: round(Math.min(...samples)),
    p50: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    p99: round(percentile(samples, 99)),
    max: round(Math.max(...samples)),
  };
}

/** Milliseconds taken by `work`, and its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

/** Runs `work` `warmups` times unmeasured, then `runs` times measured; returns the samples in ms. */
export async function sample(runs: number, warmups: number, work: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmups; i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    await quiesce();
    samples.push((await timed(work)).ms);
  }
  return samples;
}

/** Rounds to 3 significant decimals for reports (ms figures are noisy below that). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Lets pending timers, I/O callbacks and microtasks run (fake-indexeddb schedules with setImmediate). */
export function settle(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let gcFunction: (() => void) | undefined;
/**
 * Runs a full V8 garbage collection, so one measurement does not pay for the garbage of
 * the previous one. Works without `--expose-gc`: the flag can be set at runtime and the
 * `gc` function read from a fresh context.
 */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}

/**
 * A full GC, then a pause: V8 finishes sweeping on a helper thread after gc(), and on a
 * 2-core machine that work would land inside a short measurement if it started at once.
 */
export async function quiesce(pauseMs = 30): Promise<void> {
  collectGarbage();
  await settle(pauseMs);
}
