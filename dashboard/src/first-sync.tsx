import { useEffect, useMemo, useState } from 'preact/hooks';
import { combineLatest, map } from 'rxjs';
import type { BrainStore, BrainSync } from './brain-store.ts';
import { useObservable } from './use-observable.ts';

const DONE_KEY = 'brain-dashboard.first-sync-done';

/**
 * While a first sync runs (nothing synced on this device before), how many documents have
 * arrived so far. Later visits, offline ones included, skip it.
 */
export function FirstSync({ store, sync }: { store: BrainStore; sync: BrainSync }) {
  const [done, setDone] = useState(() => window.localStorage.getItem(DONE_KEY) === '1');
  useEffect(() => {
    if (done) return;
    let live = true;
    sync.awaitInSync().then(
      () => {
        window.localStorage.setItem(DONE_KEY, '1');
        if (live) setDone(true);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [sync, done]);
  const count$ = useMemo(
    () =>
      combineLatest([
        store.database.brainActions.count().$,
        store.database.brainInsights.count().$,
        store.database.brainSummaries.count().$,
      ]).pipe(map((counts) => counts.reduce((sum, count) => sum + count, 0))),
    [store],
  );
  if (done) return null;
  return <FirstSyncBanner count$={count$} />;
}

function FirstSyncBanner({ count$ }: { count$: import('rxjs').Observable<number> }) {
  const count = useObservable(count$, 0);
  return (
    <div class="first-sync" role="status">
      <span class="spinner" aria-hidden="true" />
      First sync: {count.toLocaleString()} documents downloaded so far…
      <progress aria-label="First sync progress" />
    </div>
  );
}
