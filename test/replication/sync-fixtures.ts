import { afterEach } from 'vitest';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import {
  createBrainStore,
  replicateBrainStore,
  type BrainStore,
  type BrainSync,
  type ReplicateBrainStoreOptions,
} from '../../src/index.ts';
import type { CreateActionArgs } from '../../src/collections/brain-actions.ts';
import { actionArgs } from '../queries/fixtures.ts';

let counter = 0;
const open: { close(): Promise<void> }[] = [];

/** A durable-in-process store (Dexie over its own fake IndexedDB); reopen with the same `idb`. */
export async function openSyncedStore(
  options: { idb?: IDBFactory; name?: string; now?: () => number } = {},
): Promise<BrainStore & { idb: IDBFactory; storeName: string }> {
  const idb = options.idb ?? new IDBFactory();
  const storeName = options.name ?? `sync-${process.pid}-${++counter}`;
  const store = await createBrainStore({
    name: storeName,
    storage: getRxStorageDexie({ indexedDB: idb, IDBKeyRange }),
    ...(options.now ? { now: options.now } : {}),
  });
  open.push(store);
  return Object.assign(store, { idb, storeName });
}

export function sync(store: BrainStore, options: ReplicateBrainStoreOptions): BrainSync {
  // Fast retries: tests wait for behaviour, not for the default 5 s.
  return replicateBrainStore(store, { retryTime: 50, ...options });
}

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
});

/** Valid create arguments for an action in `workspace_id`. */
export function action(workspace_id: string, overrides: Partial<CreateActionArgs> = {}): CreateActionArgs {
  return actionArgs({ workspace_id, ...overrides });
}

/** The first value of `source$` that satisfies `predicate` (waits for it; not a poll). */
export function firstMatching<T>(source$: Observable<T>, predicate: (value: T) => boolean): Promise<T> {
  return firstValueFrom(source$.pipe(filter(predicate)));
}

/** A fetch that can be switched off to simulate losing the network. */
export function switchableFetch(): { fetch: typeof fetch; online: boolean } {
  const state: { fetch: typeof fetch; online: boolean } = {
    online: true,
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      state.online ? fetch(input, init) : Promise.reject(new TypeError('fetch failed: offline')),
  };
  return state;
}
