import { BehaviorSubject, type Observable } from 'rxjs';
import type { ZodMiniType } from 'zod/mini';
import {
  INTERNAL_CONTEXT_COLLECTION,
  _collectionNamePrimary,
  getChangedDocumentsSince,
  getPrimaryKeyOfInternalDocument,
  getSingleDocument,
  type RxCollection,
} from 'rxdb';
import { REST_PART } from '../../collections/first-sync-parts.ts';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import {
  firstSyncBeginResponseSchema,
  firstSyncPageResponseSchema,
  firstSyncPath,
  type FirstSyncPageResponse,
} from '../../protocol/first-sync-messages.ts';
import type { SyncCheckpoint } from '../../protocol/messages.ts';
import type { SyncHttpClient } from '../sync-http-client.ts';
import { firstSyncRecordStore, type FirstSyncRecord, type FirstSyncRecordStore } from './first-sync-record.ts';
import { storageBelowCollection, writeFirstSyncPage, type ServerOrigin } from './write-first-sync-page.ts';

/** One collection a first sync fills. */
export interface FirstSyncTarget {
  /** The collection's name on the server. */
  readonly name: string;
  readonly collection: RxCollection<Record<string, unknown>>;
  /** The identifier of the RxDB replication that takes over (its hash marks the documents as the server's). */
  readonly replicationIdentifier: string;
  /** That replication's meta storage: listed among the collection's connected storages, it ran here before. */
  readonly metaCollectionName: Promise<string>;
}

/** What the replication that takes over starts from. */
export interface FirstSyncSeed {
  /** Pull from the checkpoint taken before the first page was read. */
  readonly down: SyncCheckpoint;
  /** Push local writes made after the first sync began (the first-sync documents lie before it). */
  readonly up: { readonly id: string; readonly lwt: number };
}

/**
 * Where a first sync stands: `checking` whether the store holds anything, `running` (pages
 * arriving), `done` (every page stored; the normal protocol has taken over) or `skipped` (the
 * store already held data, so the normal protocol catches up instead).
 */
export type FirstSyncState = 'checking' | 'running' | 'done' | 'skipped';

/**
 * What a collection's progress is about: `first-sync` (a device with nothing here takes the
 * whole collection) or `resync` (a device with history, back after a long absence, takes the
 * head of what changed meanwhile before its pull brings the rest).
 */
export type FirstSyncKind = 'first-sync' | 'resync';

/**
 * One collection's first sync: documents stored against the server's total. For a resync
 * (`kind: 'resync'`): head documents received of the changed ones the server counted in the
 * head parts (the rest of the changes then come by the pull, `state` `done`).
 */
export interface FirstSyncCollectionProgress {
  readonly kind: FirstSyncKind;
  /** Documents stored so far (a local write or an earlier part's copy kept instead counts as stored). */
  readonly received: number;
  /** Live documents on the server when the first sync began (all workspaces of the token); for a resync, the changed documents of its head parts. */
  readonly total: number;
  readonly state: FirstSyncState;
}

/**
 * The progress of a store's first sync, as `sync.firstSync$` emits it: the state of the whole
 * and, per collection, documents stored of the server's total (what a first-sync banner shows:
 * `actions 12,000 of 100,000`). A new device reads the head of each collection (the most urgent
 * actions, the latest summaries) before the rest, so the UI is live from the first page.
 * A device with history back after a long absence shows its resync here too: the collections
 * concerned turn `kind: 'resync'`, `running` while the head of what changed arrives (n of N),
 * then `done` while the pull brings the rest.
 *
 * @example
 * sync.firstSync$.subscribe(({ state, collections }) => {
 *   if (state === 'running') show(`actions ${collections.brainActions?.received} of ${collections.brainActions?.total}`);
 * });
 */
export interface FirstSyncProgress {
  /** `skipped`: every collection had local history (the normal protocol catches up); `running` while any collection's first sync or resync runs. */
  readonly state: FirstSyncState;
  readonly collections: Readonly<Record<string, FirstSyncCollectionProgress>>;
}

export interface FirstSyncOptions {
  readonly client: SyncHttpClient;
  /** In the order their parts are read: every head part of every target first, then each target's rest. */
  readonly targets: readonly FirstSyncTarget[];
  /** Documents per page of the rest (1..5000). */
  readonly pageSize: number;
  readonly signal?: AbortSignal;
}

export interface FirstSync {
  readonly progress$: Observable<FirstSyncProgress>;
  /** Runs (or resumes) the first sync; each target's seed, undefined for a target with local history. Safe to call again after a failure. */
  run(): Promise<ReadonlyMap<string, FirstSyncSeed | undefined>>;
}

/**
 * The last-write time of every first-sync document: RxDB's lowest, below any write of a clock
 * (RxDB stamps a write with the current time), so the upstream, started just after it, never
 * pushes them back and misses no local write — also one that raced the emptiness check.
 */
export const FIRST_SYNC_LWT = 1;

interface Active {
  readonly target: FirstSyncTarget;
  readonly store: FirstSyncRecordStore;
  record: FirstSyncRecord;
  readonly origin: ServerOrigin;
  readonly parts: readonly string[];
}

/**
 * A first sync: for a collection with nothing local, the server's checkpoint first, then the
 * declared head parts of every collection (the top of the action queue, the latest summary),
 * then the rest page by page — each page stored as it arrives, so the UI is live from the
 * first one — and finally the seed with which RxDB's replication continues from that
 * checkpoint. See docs/first-sync.md.
 */
export function createFirstSync(options: FirstSyncOptions): FirstSync {
  const progress = new BehaviorSubject<FirstSyncProgress>({
    state: 'checking',
    collections: Object.fromEntries(
      options.targets.map((target) => [target.name, { kind: 'first-sync' as const, received: 0, total: 0, state: 'checking' as const }]),
    ),
  });
  const report = (name: string, value: FirstSyncCollectionProgress) => {
    const collections = { ...progress.value.collections, [name]: value };
    progress.next({ state: overallState(collections), collections });
  };
  const post = <T>(name: string, body: unknown, schema: ZodMiniType<T>) =>
    options.client.postJson(firstSyncPath(name), body, schema, options.signal);
  /** A page of a workspace the token no longer grants (refreshed mid-way) is empty: its documents are being removed. */
  const page = (name: string, body: Record<string, unknown>) =>
    post(name, { step: 'page', ...body }, firstSyncPageResponseSchema).catch((error: unknown) => {
      if (error instanceof BrainStoreError && error.code === 'FORBIDDEN_WORKSPACE') return { documents: [], after: null };
      throw error;
    });

  const prepare = async (target: FirstSyncTarget): Promise<Active | undefined> => {
    const store = await firstSyncRecordStore(target.collection, options.client.identity);
    let record = await store.read();
    if (!record) {
      if (await hasHistory(target)) return undefined;
      const begin = await post(target.name, { step: 'begin' }, firstSyncBeginResponseSchema);
      const total = Object.values(begin.totals).reduce((sum, count) => sum + count, 0);
      record = {
        checkpoint: begin.checkpoint,
        lwt: FIRST_SYNC_LWT,
        heads: 0,
        rest: Object.fromEntries(Object.keys(begin.totals).map((workspace) => [workspace, null])),
        total,
        received: 0,
        done: false,
        parts: begin.parts.filter((part) => part.name !== REST_PART).map((part) => part.name),
      };
      await store.write(record);
    }
    const database = target.collection.database;
    const origin: ServerOrigin = {
      hash: await database.hashFunction(`rxdbreplication${target.replicationIdentifier}`),
      lwt: record.lwt,
      token: database.token,
    };
    return { target, store, record, origin, parts: record.parts };
  };

  const stored = async (active: Active, documents: FirstSyncPageResponse['documents'], change: Partial<FirstSyncRecord>) => {
    const added = await writeFirstSyncPage(active.target.collection, documents, active.origin);
    active.record = { ...active.record, ...change, received: active.record.received + added };
    await active.store.write(active.record);
    report(active.target.name, {
      kind: 'first-sync',
      received: active.record.received,
      total: active.record.total,
      state: active.record.done ? 'done' : 'running',
    });
  };

  const heads = async (active: Active) => {
    const workspaces = Object.keys(active.record.rest);
    const steps = active.parts.flatMap((part) => workspaces.map((workspace) => ({ part, workspace })));
    for (let index = active.record.heads; index < steps.length; index++) {
      const { part, workspace } = steps[index]!;
      // A head page cut by the server's byte budget continues; a restart redoes the step (a copy already stored is kept).
      let after: string | null = null;
      do {
        const head: FirstSyncPageResponse = await page(active.target.name, { workspace, part, after, limit: options.pageSize });
        after = head.after;
        await stored(active, head.documents, after === null ? { heads: index + 1 } : {});
      } while (after !== null);
    }
  };

  const rest = async (active: Active) => {
    for (const [workspace, start] of Object.entries(active.record.rest)) {
      if (start === true) continue;
      const fetchPage = (after: string | null) => page(active.target.name, { workspace, part: REST_PART, after, limit: options.pageSize });
      // The next page is on its way while this one is stored (two pages in memory at most).
      let next: Promise<FirstSyncPageResponse> | undefined = fetchPage(start);
      while (next) {
        const current: FirstSyncPageResponse = await next;
        next = current.after === null ? undefined : fetchPage(current.after);
        // An unawaited prefetch that fails is read by the next turn, or dropped on the way out.
        next?.catch(() => undefined);
        await stored(active, current.documents, { rest: { ...active.record.rest, [workspace]: current.after ?? true } });
      }
    }
  };

  let running: Promise<ReadonlyMap<string, FirstSyncSeed | undefined>> | undefined;
  const run = async () => {
    const prepared: (Active | undefined)[] = [];
    for (const target of options.targets) {
      const active = await prepare(target);
      report(
        target.name,
        active
          ? {
              kind: 'first-sync',
              received: active.record.received,
              total: active.record.total,
              state: active.record.done ? 'done' : 'running',
            }
          : { kind: 'first-sync', received: 0, total: 0, state: 'skipped' },
      );
      prepared.push(active);
    }
    const actives = prepared.filter((active): active is Active => active !== undefined && !active.record.done);
    for (const active of actives) await heads(active);
    for (const active of actives) {
      await rest(active);
      await stored(active, [], { done: true });
    }
    return new Map(
      options.targets.map((target, index) => {
        const active = prepared[index];
        const seed: FirstSyncSeed | undefined = active
          ? { down: active.record.checkpoint, up: { id: '', lwt: active.record.lwt + 0.01 } }
          : undefined;
        return [target.name, seed] as const;
      }),
    );
  };
  return {
    progress$: progress.asObservable(),
    // One run at a time, shared by every collection that waits for it; a failed run may be retried.
    run: () =>
      (running ??= run().catch((error: unknown) => {
        running = undefined;
        throw error;
      })),
  };
}

/** The state of the whole: checking while any collection is, else running while any runs, else done if any was synced, else skipped. */
export function overallState(collections: Readonly<Record<string, FirstSyncCollectionProgress>>): FirstSyncState {
  const states = Object.values(collections).map((entry) => entry.state);
  return states.includes('checking') ? 'checking' : states.includes('running') ? 'running' : states.includes('done') ? 'done' : 'skipped';
}

/** Whether the collection holds any document (deleted ones too) or was replicated here before. */
async function hasHistory(target: FirstSyncTarget): Promise<boolean> {
  const { collection } = target;
  const any = await getChangedDocumentsSince(storageBelowCollection(collection), 1);
  if (any.documents.length > 0) return true;
  const id = getPrimaryKeyOfInternalDocument(
    _collectionNamePrimary(collection.name, collection.schema.jsonSchema),
    INTERNAL_CONTEXT_COLLECTION,
  );
  const doc = await getSingleDocument(collection.database.internalStore, id);
  const connected = (doc?.data as { connectedStorages?: { collectionName: string }[] } | undefined)?.connectedStorages ?? [];
  const meta = await target.metaCollectionName;
  return connected.some((storage) => storage.collectionName === meta);
}
