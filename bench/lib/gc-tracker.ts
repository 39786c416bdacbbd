import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Records V8 garbage-collection pauses, so a slow sample can be checked against the GC
 * work inside its time window (a tail caused by GC, not by the code measured).
 */
export class GcTracker {
  private readonly pauses: { start: number; end: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Milliseconds of GC pause overlapping [start, end] (performance.now() times). */
  pauseWithin(start: number, end: number): number {
    let total = 0;
    for (const pause of this.pauses) total += Math.max(0, Math.min(end, pause.end) - Math.max(start, pause.start));
    return total;
  }

  stop(): void {
    this.observer.disconnect();
  }
}
