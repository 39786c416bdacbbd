import type { Observable, Subscription } from 'rxjs';

export interface Emission<T> {
  /** performance.now() at the emission. */
  readonly at: number;
  /** Process CPU time (user + system, all threads) in ms at the emission. */
  readonly cpuMs: number;
  readonly value: T;
}

export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Subscribes to an observable and timestamps every emission (performance.now()). */
export class EmissionProbe<T> {
  readonly emissions: Emission<T>[] = [];
  private readonly subscription: Subscription;
  private waiters: ((emission: Emission<T>) => void)[] = [];

  constructor(source: Observable<T>) {
    this.subscription = source.subscribe((value) => {
      const emission = { at: performance.now(), cpuMs: cpuMs(), value };
      this.emissions.push(emission);
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve(emission);
    });
  }

  get count(): number {
    return this.emissions.length;
  }

  get latest(): T | undefined {
    return this.emissions[this.emissions.length - 1]?.value;
  }

  /** The next emission after now; rejects after `timeoutMs`. */
  next(timeoutMs: number): Promise<Emission<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no emission within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((emission) => {
        clearTimeout(timer);
        resolve(emission);
      });
    });
  }

  /** The first emission (or the one already seen). */
  async first(timeoutMs: number): Promise<Emission<T>> {
    return this.emissions[0] ?? this.next(timeoutMs);
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}
