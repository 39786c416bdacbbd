import { describe, expect, it, vi } from 'vitest';
import { BehaviorSubject, firstValueFrom, Subject } from 'rxjs';
import { deferredSync } from '../../dashboard/src/deferred-sync.ts';
import type { BrainSync, SyncStatus } from '../../src/index.ts';

/** A BrainSync double whose streams the test drives and whose calls it records. */
function fakeSync() {
  const status$ = new BehaviorSubject<SyncStatus>({ state: 'idle', pending: 0, lastSyncedAt: 1 });
  const leading$ = new BehaviorSubject(true);
  const sync = {
    status$,
    rejected$: new BehaviorSubject([]),
    firstSync$: new Subject(),
    clockOffset$: new BehaviorSubject(null),
    session$: new BehaviorSubject(null),
    leading$,
    clearRejected: vi.fn(),
    session: vi.fn(async () => ({ subject: 's' })),
    awaitInSync: vi.fn(async () => undefined),
    awaitWrite: vi.fn(async () => undefined),
    resync: vi.fn(),
    isLeader: () => leading$.value,
    setToken: vi.fn(),
    cancel: vi.fn(async () => undefined),
  };
  return sync as typeof sync & BrainSync;
}

describe('deferredSync: the dashboard renders before the replication has loaded', () => {
  it('streams follow the real sync once it loads; calls made before are carried out then', async () => {
    let load!: (sync: BrainSync) => void;
    const stand = deferredSync(new Promise<BrainSync>((resolve) => (load = resolve)));
    const seen: SyncStatus[] = [];
    stand.status$.subscribe((status) => seen.push(status));
    stand.setToken('new-link');
    stand.resync();
    const inSync = stand.awaitInSync();
    // Nothing replicates yet: not the leader, no status.
    expect(stand.isLeader()).toBe(false);
    expect(seen).toEqual([]);

    const real = fakeSync();
    load(real);
    await inSync;
    expect(real.setToken).toHaveBeenCalledWith('new-link');
    expect(real.resync).toHaveBeenCalledOnce();
    expect(real.awaitInSync).toHaveBeenCalledOnce();
    expect(stand.isLeader()).toBe(true);
    expect(seen).toEqual([{ state: 'idle', pending: 0, lastSyncedAt: 1 }]);
    real.status$.next({ state: 'syncing', pending: 2, lastSyncedAt: 1 });
    expect(seen.at(-1)).toEqual({ state: 'syncing', pending: 2, lastSyncedAt: 1 });
    expect(await firstValueFrom(stand.leading$)).toBe(true);
    await stand.cancel();
    expect(real.cancel).toHaveBeenCalledOnce();
  });
});
