import { useEffect, useState } from 'preact/hooks';

/** The latest value of an observable: the package's Preact hook (kept here for the components that import it from this file). */
export { useObservable } from './brain-store-preact.ts';

/** The store clock, re-read every `intervalMs` (countdowns, "last synced … ago"). */
export function useNow(now: () => number, intervalMs = 1_000): number {
  const [value, setValue] = useState(now);
  useEffect(() => {
    const timer = setInterval(() => setValue(now()), intervalMs);
    return () => clearInterval(timer);
  }, [now, intervalMs]);
  return value;
}
