import { Subject, map, merge } from 'rxjs';
import type { RxCollection, RxConflictHandler, WithDeleted } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import type { CollectionName } from '../collections/declare-collection.ts';
import { endpoints } from '../protocol/endpoints.ts';
import type { PullResponse, PushResponse, PushRow, StreamEvent, SyncCheckpoint, WireDocument } from '../protocol/messages.ts';
import type { SyncHttpClient } from './sync-http-client.ts';
import { syncEventStream } from './sync-event-stream.ts';
import { PendingWrites } from './pending-writes.ts';
import type { RejectedWrites } from './rejected-writes.ts';
import { createFirstSync, type FirstSyncSeed, type FirstSyncTarget } from './first-sync/run-first-sync.ts';
import { FirstSyncOrigins } from './first-sync/first-sync-origins.ts';

export interface CollectionReplicationOptions {
  /** The collection's name on the server. */
  readonly name: string;
  readonly collection: RxCollection<SyncDoc>;
  readonly client: SyncHttpClient;
  readonly live: boolean;
  /** Rows per push request. */
  readonly batchSize: number;
  /** Documents per pull request (default: batchSize). */
  readonly pullBatchSize?: number;
  readonly retryTime: number;
  readonly backoff: (attempt: number) => number;
  readonly now: () => number;
  /** Shared tracker of unacknowledged writes (default: one for this collection). */
  readonly pending?: PendingWrites;
  readonly rejected: RejectedWrites;
  /** Collection name recorded with rejected writes. */
  readonly label?: CollectionName;
  /** Local deletes that must not travel upstream (purged by retention on both sides). */
  readonly skipPush?: (doc: WithDeleted<SyncDoc>) => boolean;
  readonly onSynced?: () => void;
  /** Asked before each pull: true to pull this once from the start (a workspace was granted). */
  readonly fromStart?: () => boolean;
  readonly onStreamError?: (error: unknown) => void;
  /**
   * The first sync run before RxDB's replication starts (issue 19): given this collection, it
   * fills an empty one and returns the checkpoints to continue from. Default: this
   * collection's own first sync; false: none (RxDB pulls from the start).
   */
  readonly firstSync?: ((target: FirstSyncTarget) => Promise<FirstSyncSeed | undefined>) | false;
}

/** A document as the replication sees it: plain JSON with a string `id`. */
type SyncDoc = Record<string, unknown>;

export type CollectionReplication = RxReplicationState<SyncDoc, SyncCheckpoint> & { resync(): void; restore(): void };

/**
 * One collection's replication with RxDB's replicateRxCollection: pull by checkpoint, push
 * rows with their assumed master state, a poke stream that triggers pulls. Rejected rows are
 * recorded and the local document reverted to the server's version so the queue moves on.
 */
export function replicateCollection(options: CollectionReplicationOptions): CollectionReplication {
  const { name, collection, client, rejected } = options;
  const key = collection.schema.primaryPath;
  const pending = options.pending ?? new PendingWrites(key);
  const reverts = installForcedReverts(collection, key);
  const resync$ = new Subject<'RESYNC'>();
  const fed = new FedChanges();
  const replicationIdentifier = `brain-store-${name}-${client.identity}`;
  const origins = FirstSyncOrigins.forCollection(collection, collection.database.hashFunction(`rxdbreplication${replicationIdentifier}`));

  const state = replicateRxCollection<SyncDoc, SyncCheckpoint>({
    collection,
    replicationIdentifier,
    live: options.live,
    retryTime: options.retryTime,
    waitForLeadership: true,
    // Started by startAfterFirstSync, once the first sync has run.
    autoStart: false,
    pull: {
      batchSize: options.pullBatchSize ?? options.batchSize,
      handler: async (checkpoint, batchSize) => {
        // A newly granted workspace is pulled from the start (already held documents arrive unchanged).
        const from = options.fromStart?.() ? null : (checkpoint ?? null);
        // Changes the server sent on the stream, if they continue exactly from this checkpoint.
        const local = from ? fed.take(from) : undefined;
        if (local) {
          options.onSynced?.();
          return local;
        }
        const response = await client.postJson<PullResponse>(endpoints.pull(name), { checkpoint: from, batchSize });
        options.onSynced?.();
        return { documents: response.documents, checkpoint: response.checkpoint ?? checkpoint };
      },
      ...(options.live
        ? {
            stream$: merge(
              resync$,
              syncEventStream({
                client,
                path: endpoints.stream(name),
                backoff: options.backoff,
                onError: (error) => options.onStreamError?.(error),
              }).pipe(
                // Every event leads to a pull; a CHANGES event is kept so that the pull can be
                // answered from it when RxDB asks from the very checkpoint it continues.
                map((event) => {
                  fed.add(event);
                  return 'RESYNC' as const;
                }),
              ),
            ),
          }
        : {}),
    },
    push: {
      batchSize: options.batchSize,
      handler: async (allRows) => {
        // Deletes both sides make by the same retention rule never travel (no flood of
        // deletes); RxDB counts a row left out here as written, so its queue moves on.
        const rows = options.skipPush ? allRows.filter((row) => !options.skipPush!(row.newDocumentState)) : allRows;
        const sent = new Set(rows);
        pending.acknowledged(allRows.filter((row) => !sent.has(row)).map((row) => row.newDocumentState));
        if (rows.length === 0) return [];
        pending.sending(rows.map((row) => row.newDocumentState));
        const response = await client.postJson<PushResponse>(endpoints.push(name), {
          rows: rows.map((row) => toWireRow(row, origins.get(row.newDocumentState[key] as string))),
        });
        options.onSynced?.();
        for (const row of rows) origins.settled(row.newDocumentState[key] as string);
        const failed = new Set<string>();
        const conflicts: WireDocument[] = [...response.conflicts];
        for (const master of response.conflicts) {
          failed.add(master[key] as string);
          pending.conflicted(master);
        }
        for (const row of response.rejected) {
          failed.add(row.id);
          const local = rows.find((candidate) => candidate.newDocumentState[key] === row.id)?.newDocumentState;
          rejected.add({
            collection: options.label ?? (name as CollectionName),
            document: (local ?? { [key]: row.id, _deleted: false }) as WireDocument,
            code: row.code,
            message: row.message,
            issues: row.issues ?? [],
            rejectedAt: options.now(),
          });
          // Revert: the server's version, or (for a document the server never had) a tombstone.
          const master = row.master ?? ({ ...(local ?? {}), [key]: row.id, _deleted: true } as WireDocument);
          reverts.add(row.id);
          pending.conflicted(master);
          conflicts.push(master);
        }
        pending.acknowledged(rows.filter((row) => !failed.has(row.newDocumentState[key] as string)).map((row) => row.newDocumentState));
        return conflicts;
      },
    },
  });
  void startAfterFirstSync(state, {
    retryTime: options.retryTime,
    onSynced: options.onSynced,
    firstSync:
      options.firstSync ??
      ((target) =>
        createFirstSync({ client, targets: [target], pageSize: options.pullBatchSize ?? options.batchSize })
          .run()
          .then((seeds) => seeds.get(target.name))),
    target: {
      name,
      collection,
      replicationIdentifier,
      metaCollectionName: state.metaInfoPromise.then((info) => info.collectionName),
    },
  });
  pending.watch(collection);
  // A tracker made here is this replication's alone: it stops with it.
  if (!options.pending) state.onCancel.push(() => pending.stop());
  return Object.assign(state, { resync: () => resync$.next('RESYNC'), restore: reverts.restore });
}

/**
 * What RxDB's own start does (wait to lead the tabs of the database), then the first sync,
 * retried every `retryTime` while it fails (each failure on error$, as a failed pull), then
 * RxDB's replication from the first sync's checkpoints. Active meanwhile, so a status says
 * "syncing".
 */
async function startAfterFirstSync(
  state: RxReplicationState<SyncDoc, SyncCheckpoint>,
  args: {
    retryTime: number;
    onSynced: (() => void) | undefined;
    firstSync: ((target: FirstSyncTarget) => Promise<FirstSyncSeed | undefined>) | false;
    target: FirstSyncTarget;
  },
): Promise<void> {
  const database = state.collection.database;
  if (database.multiInstance) await database.waitForLeadership();
  while (args.firstSync && !state.isStopped()) {
    try {
      state.subjects.active.next(true);
      const seed = await args.firstSync(args.target);
      // RxDB reads these when it starts, and uses them only where it has no checkpoint of its own.
      if (seed && state.pull && state.push) {
        state.pull.initialCheckpoint = seed.down;
        state.push.initialCheckpoint = seed.up;
      }
      args.onSynced?.();
      break;
    } catch (error) {
      if (state.isStopped()) return;
      state.subjects.error.next(error as never);
      await new Promise((resolve) => setTimeout(resolve, args.retryTime));
    }
  }
  if (!state.isStopped()) await state.start().catch(() => undefined);
}

/** Most CHANGES events kept while waiting for the pull that uses them. */
const MAX_FED_EVENTS = 64;

/**
 * CHANGES events from the stream, applied only through the pull handler: RxDB asks for
 * changes since its stored checkpoint, so an event is used only when its `base` is that
 * very snapshot (and the same database) — checked at the moment of use, never at arrival,
 * so a delayed or reordered event can never move the checkpoint past a row not received.
 */
class FedChanges {
  readonly #events: Extract<StreamEvent, { type: 'CHANGES' }>[] = [];

  add(event: StreamEvent): void {
    if (event.type !== 'CHANGES') return;
    this.#events.push(event);
    if (this.#events.length > MAX_FED_EVENTS) this.#events.shift();
  }

  /** The documents of the events chained from `checkpoint`, with the checkpoint after them; undefined when none applies. */
  take(checkpoint: SyncCheckpoint): { documents: WireDocument[]; checkpoint: SyncCheckpoint } | undefined {
    if (checkpoint.upto !== null) return undefined;
    let current = checkpoint;
    const documents: WireDocument[] = [];
    for (;;) {
      const index = this.#events.findIndex((event) => event.base === current.snap && event.checkpoint.server === current.server);
      if (index < 0) break;
      const [event] = this.#events.splice(index, 1);
      documents.push(...event!.documents);
      current = event!.checkpoint;
    }
    if (documents.length === 0) return undefined;
    return { documents, checkpoint: current };
  }
}

/** `origin`: for a first-sync document without an assumed master in RxDB's meta data, the server's version its first edit replaced. */
function toWireRow(row: { newDocumentState: unknown; assumedMasterState?: unknown }, origin: WireDocument | undefined): PushRow {
  return {
    newDocumentState: row.newDocumentState as WireDocument,
    assumedMasterState: (row.assumedMasterState ?? origin ?? null) as WireDocument | null,
  };
}

interface ForcedReverts {
  /** The next conflict of this document resolves to the server's version. */
  add(id: string): void;
  /** Puts the collection's own conflict handler back. */
  restore(): void;
}

/**
 * Wraps the collection's conflict handler so that a rejected write is reverted to the
 * server's version, whatever the merge rule would say; each id is consumed once.
 */
function installForcedReverts(collection: RxCollection<SyncDoc>, key: string): ForcedReverts {
  const original: RxConflictHandler<SyncDoc> = collection.conflictHandler;
  const ids = new Set<string>();
  collection.conflictHandler = {
    isEqual: original.isEqual,
    resolve: async (input, context) =>
      ids.delete(input.realMasterState[key] as string) ? input.realMasterState : original.resolve(input, context),
  };
  return {
    add: (id) => void ids.add(id),
    restore: () => {
      collection.conflictHandler = original;
    },
  };
}
