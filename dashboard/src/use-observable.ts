import { useEffect, useState } from 'preact/hooks';
import type { Observable } from 'rxjs';

/**
 * The latest value of an observable (a LiveQuery's `$`, `status$`), re-subscribed when the
 * observable changes. `initial` shows until the first emission.
 */
export function useObservable<T>(source$: Observable<T>, initial: T): T {
  const [value, setValue] = useState<T>(initial);
  useEffect(() => {
    const subscription = source$.subscribe({ next: (next) => setValue(() => next) });
    return () => subscription.unsubscribe();
  }, [source$]);
  return value;
}

/** The store clock, re-read every `intervalMs` (countdowns, "last synced … ago"). */
export function useNow(now: () => number, intervalMs = 1_000): number {
  const [value, setValue] = useState(now);
  useEffect(() => {
    const timer = setInterval(() => setValue(now()), intervalMs);
    return () => clearInterval(timer);
  }, [now, intervalMs]);
  return value;
}
