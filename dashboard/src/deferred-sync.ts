import { defer, from, switchMap, type Observable } from 'rxjs';
import type { BrainSync } from './brain-store.ts';

/**
 * A BrainSync whose replication is still loading: the first visit's JavaScript leaves the
 * replication out (issue 16: the page shows this device's data first, then syncs), and the
 * app renders at once with this stand-in. Each stream follows the real one once it has
 * loaded; each call waits for it (`isLeader()` is false until then: nothing replicates yet).
 */
export function deferredSync(loading: Promise<BrainSync>): BrainSync {
  let loaded: BrainSync | undefined;
  const ready = loading.then((sync) => (loaded = sync));
  const follow = <T>(pick: (sync: BrainSync) => Observable<T>): Observable<T> => defer(() => from(ready)).pipe(switchMap(pick));
  const later = (act: (sync: BrainSync) => void) => void ready.then(act);
  return {
    status$: follow((sync) => sync.status$),
    rejected$: follow((sync) => sync.rejected$),
    firstSync$: follow((sync) => sync.firstSync$),
    clockOffset$: follow((sync) => sync.clockOffset$),
    session$: follow((sync) => sync.session$),
    leading$: follow((sync) => sync.leading$),
    clearRejected: (predicate) => later((sync) => sync.clearRejected(predicate)),
    session: () => ready.then((sync) => sync.session()),
    awaitInSync: () => ready.then((sync) => sync.awaitInSync()),
    awaitWrite: (id) => ready.then((sync) => sync.awaitWrite(id)),
    resync: () => later((sync) => sync.resync()),
    isLeader: () => loaded?.isLeader() ?? false,
    setToken: (token) => later((sync) => sync.setToken(token)),
    cancel: () => ready.then((sync) => sync.cancel()),
  };
}
