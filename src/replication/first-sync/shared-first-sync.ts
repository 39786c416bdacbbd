import { BehaviorSubject, type Observable } from 'rxjs';
import type { SyncHttpClient } from '../sync-http-client.ts';
import {
  createFirstSync,
  overallState,
  type FirstSync,
  type FirstSyncCollectionProgress,
  type FirstSyncProgress,
  type FirstSyncSeed,
  type FirstSyncTarget,
} from './run-first-sync.ts';

/**
 * The order a store's first sync reads its collections in: the action queue's head first, then
 * the latest summary; then the rest of each collection in the same order.
 */
export const FIRST_SYNC_ORDER: readonly string[] = ['brainActions', 'brainSummaries', 'brainInsights'];

export interface SharedFirstSync {
  readonly progress$: Observable<FirstSyncProgress>;
  /** Each collection's replication calls this before it starts; it resolves once the store's first sync has run. */
  readonly forCollection: (target: FirstSyncTarget) => Promise<FirstSyncSeed | undefined>;
  /** A collection's resync (kind 'resync') shows in the same progress, in place of its first sync's. */
  readonly reportResync: (name: string, progress: FirstSyncCollectionProgress) => void;
}

/**
 * One first sync for all the collections of a store, so that the parts that matter come
 * first across collections: it waits until every collection's replication has asked (each
 * after leading the tabs), then runs once for all.
 */
export function sharedFirstSync(options: {
  readonly client: SyncHttpClient;
  readonly names: readonly string[];
  readonly pageSize: number;
  readonly signal: AbortSignal;
}): SharedFirstSync {
  const targets = new Map<string, FirstSyncTarget>();
  let allAsked!: () => void;
  const asked = new Promise<void>((resolve) => (allAsked = resolve));
  let first: FirstSyncProgress = {
    state: 'checking',
    collections: Object.fromEntries(
      options.names.map((name) => [name, { kind: 'first-sync' as const, received: 0, total: 0, state: 'checking' as const }]),
    ),
  };
  const resyncs = new Map<string, FirstSyncCollectionProgress>();
  const progress = new BehaviorSubject<FirstSyncProgress>(first);
  const emit = () => {
    const collections = { ...first.collections, ...Object.fromEntries(resyncs) };
    progress.next({ state: overallState(collections), collections });
  };
  let firstSync: FirstSync | undefined;
  const order = (name: string) => (FIRST_SYNC_ORDER.includes(name) ? FIRST_SYNC_ORDER.indexOf(name) : FIRST_SYNC_ORDER.length);
  return {
    progress$: progress.asObservable(),
    forCollection: async (target) => {
      targets.set(target.name, target);
      if (targets.size === options.names.length) allAsked();
      await asked;
      if (!firstSync) {
        const sorted = [...targets.values()].sort((a, b) => order(a.name) - order(b.name));
        firstSync = createFirstSync({ client: options.client, targets: sorted, pageSize: options.pageSize, signal: options.signal });
        firstSync.progress$.subscribe((value) => {
          first = value;
          emit();
        });
      }
      return (await firstSync.run()).get(target.name);
    },
    reportResync: (name, value) => {
      resyncs.set(name, value);
      emit();
    },
  };
}
