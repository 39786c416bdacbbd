import { EMPTY, Subject, interval, map, merge, switchMap, type Observable } from 'rxjs';
import type { RxCollection, RxConflictHandler, WithDeleted } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import type { CollectionName } from '../collections/declare-collection.ts';
import { endpoints } from '../protocol/endpoints.ts';
import {
  checkpointDatabase,
  pullResponseSchema,
  pushResponseSchema,
  type PushResponse,
  type PushRow,
  type RejectedRow,
  type StreamEvent,
  type SyncCheckpoint,
  type WireDocument,
} from '../protocol/messages.ts';
import { splitPushRows } from './split-push-rows.ts';
import { stripBookkeeping } from '../store/conflict-handler.ts';
import { isBrainStoreError } from '../errors/brain-store-error.ts';
import type { SyncHttpClient } from './sync-http-client.ts';
import { syncEventStream } from './sync-event-stream.ts';
import { jitterRetries } from './jittered-retries.ts';
import { PendingWrites } from './pending-writes.ts';
import type { RejectedWrites } from './rejected-writes.ts';
import type { LiveMode } from './leadership/leadership.ts';
import { createFirstSync, type FirstSyncSeed, type FirstSyncTarget } from './first-sync/run-first-sync.ts';
import { FirstSyncOrigins } from './first-sync/first-sync-origins.ts';
import { resyncHead } from './first-sync/resync-head.ts';
import { resyncDownstream } from './first-sync/resync-downstream.ts';
import type { FirstSyncCollectionProgress } from './first-sync/run-first-sync.ts';

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
  /** RxDB's retryTime (replaced by retryBackoff's jittered waits: see jitterRetries). */
  readonly retryTime: number;
  /** Wait before the n-th consecutive retry of a failed pull, push or first sync (full jitter). */
  readonly retryBackoff: (attempt: number) => number;
  /** Wait before reconnecting the change stream after its n-th consecutive failure (full jitter). */
  readonly backoff: (attempt: number) => number;
  /** Randomness of the wait a server's retry hint asks of the stream (default Math.random). */
  readonly random?: () => number;
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
   * Whether this tab is the one that replicates (src/replication/leadership): the replication
   * runs while true and pauses while false, its change stream open only while it runs.
   * Without it, RxDB's own leader election decides, once and for good.
   */
  readonly leading$?: Observable<boolean>;
  /** How a live replication hears of changes (default: the stream, always). */
  readonly live$?: Observable<LiveMode>;
  /** Between pulls when live$ says 'poll', and while the server refuses the stream (ms, default 2000). */
  readonly pollMs?: number;
  /** A push got no answer (offline): its rows stay in unsentRows() for a last try. */
  readonly onPushUnanswered?: () => void;
  /** Tokens renewed before expiry: the stream reconnects with the new one. */
  readonly renewed$?: Observable<unknown>;
  /**
   * The first sync run before RxDB's replication starts (issue 19): given this collection, it
   * fills an empty one and returns the checkpoints to continue from. Default: this
   * collection's own first sync; false: none (RxDB pulls from the start).
   */
  readonly firstSync?: ((target: FirstSyncTarget) => Promise<FirstSyncSeed | undefined>) | false;
  /**
   * The resync of a device with history after a long absence (issue 19, resync-head.ts): on
   * by default in live mode, with its progress here; false: the pull alone. A one-shot
   * replication (live false) never resyncs: it pulls everything before it ends anyway.
   */
  readonly resync?: { readonly onProgress?: (progress: FirstSyncCollectionProgress) => void } | false;
}

/** A document as the replication sees it: plain JSON with a string `id`. */
type SyncDoc = Record<string, unknown>;

export type CollectionReplication = RxReplicationState<SyncDoc, SyncCheckpoint> & {
  resync(): void;
  restore(): void;
  /** Rows handed to a push that the server has not answered yet (for a last try when the page leaves). */
  unsentRows(): PushRow[];
};

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
  const unsent = new Map<string, PushRow>();
  const replicationIdentifier = `brain-store-${name}-${client.identity}`;
  const origins = FirstSyncOrigins.forCollection(collection, collection.database.hashFunction(`rxdbreplication${replicationIdentifier}`));
  const resync =
    options.live && options.resync !== false
      ? resyncHead({ client, name, collection, ...(options.resync?.onProgress ? { onProgress: options.resync.onProgress } : {}) })
      : undefined;
  const resynced = resync ? resyncDownstream(resync, key) : undefined;

  const state = replicateRxCollection<SyncDoc, SyncCheckpoint>({
    collection,
    replicationIdentifier,
    live: options.live,
    retryTime: options.retryTime,
    waitForLeadership: !options.leading$,
    // Started below, once the first sync has run (issue 19).
    autoStart: false,
    // Leadership decides; RxDB's own visibility toggle would start a follower's replication.
    // (Only where there is a document: elsewhere RxDB installs no toggle, and turning it off
    // would start its anti-hibernation interval, which keeps a Node process alive.)
    ...(options.leading$ && typeof document !== 'undefined' ? { toggleOnDocumentVisible: false } : {}),
    pull: {
      batchSize: options.pullBatchSize ?? options.batchSize,
      handler: async (checkpoint, batchSize) => {
        // A newly granted workspace is pulled from the start (already held documents arrive unchanged).
        const from = options.fromStart?.() ? null : (checkpoint ?? null);
        // Back after a long absence: the head of what changed first, through RxDB's own
        // downstream with the checkpoint unchanged; a RESYNC asks for the pull from it at once.
        const head = await resynced?.next(from, batchSize);
        if (head) {
          queueMicrotask(() => resync$.next('RESYNC'));
          retries.succeeded('pull');
          options.onSynced?.();
          return { documents: head, checkpoint: from! };
        }
        // Changes the server sent on the stream, if they continue exactly from this checkpoint.
        const local = from ? fed.take(from) : undefined;
        if (local) {
          options.onSynced?.();
          return local;
        }
        let response = await client
          .postJson(endpoints.pull(name), { checkpoint: from, batchSize }, pullResponseSchema)
          .catch((error: unknown) => {
            // Away (offline, a server down): the next pull asks whether a resync is due.
            resync?.arm();
            // A checkpoint this server refuses (issue 23: too large, or not signed by it; a
            // genuine client holds one only if the database's settings shrank): start over,
            // as with a checkpoint of another database. Unsynced writes are kept.
            if (from === null || !isRefusedCheckpoint(error)) throw error;
            return client.postJson(endpoints.pull(name), { checkpoint: null, batchSize }, pullResponseSchema);
          });
        retries.succeeded('pull');
        options.onSynced?.();
        const documents = response.documents;
        let next = response.checkpoint ?? checkpoint;
        // A page cut by the server's byte budget (issue 23) is shorter than batchSize, which
        // RxDB reads as "caught up": pull on here, and past a few pages (memory) ask RxDB
        // for another round instead.
        for (let pages = 1; response.more === true && documents.length < batchSize; pages++) {
          if (options.live && pages >= MAX_PAGES_PER_PULL) {
            queueMicrotask(() => resync$.next('RESYNC'));
            break;
          }
          response = await client.postJson(
            endpoints.pull(name),
            { checkpoint: next, batchSize: batchSize - documents.length },
            pullResponseSchema,
          );
          documents.push(...response.documents);
          next = response.checkpoint ?? next;
        }
        return { documents, checkpoint: next };
      },
      ...(options.live
        ? {
            stream$: merge(
              resync$,
              liveEvents(options.live$, options.pollMs ?? 2_000, () =>
                syncEventStream({
                  client,
                  path: endpoints.stream(name),
                  backoff: options.backoff,
                  ...(options.random ? { random: options.random } : {}),
                  pollMs: options.pollMs ?? 2_000,
                  onError: (error) => options.onStreamError?.(error),
                  ...(options.renewed$ ? { renewed$: options.renewed$ } : {}),
                }),
              ).pipe(
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
        // A first-sync document has no assumed master in RxDB's meta data: its first edit replaced the server's version.
        const withOrigins = rows.map((row) => {
          const origin = row.assumedMasterState ? undefined : origins.get(row.newDocumentState[key] as string);
          return origin ? { ...row, assumedMasterState: origin } : row;
        });
        const wireRows = withOrigins.map(toWireRow);
        for (const row of wireRows) unsent.set(row.newDocumentState[key] as string, row);
        const response = await pushInBatches(client, name, wireRows, key).catch((error: unknown) => {
          options.onPushUnanswered?.();
          throw error;
        });
        retries.succeeded('push');
        // Answered: accepted, conflicting or refused, none of these rows needs a last try.
        for (const row of wireRows)
          if (unsent.get(row.newDocumentState[key] as string) === row) unsent.delete(row.newDocumentState[key] as string);
        options.onSynced?.();
        for (const row of rows) origins.settled(row.newDocumentState[key] as string);
        resynced?.pushed(rows.map((row) => row.newDocumentState[key] as string));
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
  // Retries wait a random time within a growing window, not RxDB's fixed retryTime (issue 17.6).
  const retries = jitterRetries(state, options.retryBackoff);
  state.onCancel.push(() => retries.stop());
  pending.watch(collection);
  let firstSynced: Promise<void> | undefined;
  const afterFirstSync = () =>
    (firstSynced ??= firstSyncOnce(state, {
      retryBackoff: options.retryBackoff,
      onSynced: options.onSynced,
      firstSync:
        options.firstSync ??
        ((target) =>
          createFirstSync({ client, targets: [target], pageSize: options.pullBatchSize ?? options.batchSize })
            .run()
            .then((seeds) => seeds.get(target.name))),
      target: { name, collection, replicationIdentifier, metaCollectionName: state.metaInfoPromise.then((info) => info.collectionName) },
    }));
  if (options.leading$) {
    let leadingNow = false;
    const leadership = options.leading$.subscribe((leading) => {
      leadingNow = leading;
      // Leading again after a while: the first pull asks whether a resync is due.
      if (leading) resync?.arm();
      // Errors of start() are emitted on error$; both run on RxDB's start queue, in order.
      if (leading) void afterFirstSync().then(() => (leadingNow && !state.isStopped() ? state.start().catch(() => undefined) : undefined));
      else void state.pause();
    });
    state.onCancel.push(() => leadership.unsubscribe());
  } else {
    // What RxDB's own start does with waitForLeadership: lead the tabs of the database first.
    const database = collection.database;
    void (database.multiInstance ? database.waitForLeadership() : Promise.resolve())
      .then(afterFirstSync)
      .then(() => (state.isStopped() ? undefined : state.start().catch(() => undefined)));
  }
  // A tracker made here is this replication's alone: it stops with it.
  if (!options.pending) state.onCancel.push(() => pending.stop());
  // In sync after a resync's head means after the pull that follows it too.
  if (resynced) {
    state.onCancel.push(() => resynced.stop());
    const awaitInSync = state.awaitInSync.bind(state);
    state.awaitInSync = async () => {
      // Ask again should the RESYNC after the head have been lost (RxDB drops a task older than its latest pull).
      if (resynced.pending()) resync$.next('RESYNC');
      await resynced.settled();
      return awaitInSync();
    };
  }
  return Object.assign(state, { resync: () => resync$.next('RESYNC'), restore: reverts.restore, unsentRows: () => [...unsent.values()] });
}

/**
 * The first sync, retried after a jittered wait (`retryBackoff`) while it fails (each failure
 * on error$, as a failed pull), its checkpoints handed to RxDB's replication before it starts. Active
 * meanwhile, so a status says "syncing".
 */
async function firstSyncOnce(
  state: RxReplicationState<SyncDoc, SyncCheckpoint>,
  args: {
    retryBackoff: (attempt: number) => number;
    onSynced: (() => void) | undefined;
    firstSync: ((target: FirstSyncTarget) => Promise<FirstSyncSeed | undefined>) | false;
    target: FirstSyncTarget;
  },
): Promise<void> {
  for (let attempt = 1; args.firstSync && !state.isStopped(); attempt++) {
    try {
      state.subjects.active.next(true);
      const seed = await args.firstSync(args.target);
      // RxDB reads these when it starts, and uses them only where it has no checkpoint of its own.
      if (seed && state.pull && state.push) {
        state.pull.initialCheckpoint = seed.down;
        state.push.initialCheckpoint = seed.up;
      }
      args.onSynced?.();
      return;
    } catch (error) {
      if (state.isStopped()) return;
      state.subjects.error.next(error as never);
      // A server that will not serve this protocol serves no first sync either: RxDB's own
      // replication starts, so its refused pushes count the writes as pending (status$
      // 'upgrade-required' with every write kept) until the app is upgraded.
      if (isBrainStoreError(error) && error.code === 'UPGRADE_REQUIRED') return;
      // RxDB's own wait (as its retries use): cleared when the collection closes.
      await args.target.collection.promiseWait(args.retryBackoff(attempt));
    }
  }
}

/** Byte-cut pages one pull handler call chains in live mode before handing back to RxDB. */
const MAX_PAGES_PER_PULL = 4;

/**
 * The stream while this tab leads (always, without leadership), closed while it follows; a
 * RESYNC every `pollMs` instead while the mode is 'poll'.
 */
function liveEvents(live$: Observable<LiveMode> | undefined, pollMs: number, open: () => Observable<StreamEvent>): Observable<StreamEvent> {
  if (!live$) return open();
  return live$.pipe(
    switchMap((mode) =>
      mode === 'stream' ? open() : mode === 'poll' ? interval(pollMs).pipe(map((): StreamEvent => ({ type: 'RESYNC' }))) : EMPTY,
    ),
  );
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
    // A poke (or RESYNC) asks for a pull from the server: the events before it are dropped, so
    // the pull it leads to is not answered from them. That pull is also what tells the server
    // this client reads its stream (issue 23: a stream that owes too much asks it with a poke).
    if (event.type === 'CHANGE' || event.type === 'RESYNC') this.#events.length = 0;
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
      const index = this.#events.findIndex(
        (event) => event.base === current.snap && checkpointDatabase(event.checkpoint.server) === checkpointDatabase(current.server),
      );
      if (index < 0) break;
      const [event] = this.#events.splice(index, 1);
      documents.push(...event!.documents);
      current = event!.checkpoint;
    }
    if (documents.length === 0) return undefined;
    return { documents, checkpoint: current };
  }
}

/**
 * Pushes rows in bodies under the server's announced limit (issue 23), one after the other,
 * and merges the answers. A 413 that announces a smaller limit than the one split for (the
 * first push to a server with a lowered limit) splits the rest again at once. A row no body
 * can carry is refused here, as the server would: kept in rejected$ and reverted, never
 * retried (it would hold back every later write for ever).
 */
async function pushInBatches(client: SyncHttpClient, name: string, rows: readonly PushRow[], key: string): Promise<PushResponse> {
  const response: PushResponse = { conflicts: [], rejected: [] };
  let remaining = rows;
  while (remaining.length > 0) {
    const limit = client.maxBodyBytes;
    const { batches, oversized } = splitPushRows(remaining, limit);
    for (const row of oversized) response.rejected.push(tooLargeRow(row, key, limit));
    remaining = [];
    for (const [index, batch] of batches.entries()) {
      try {
        const answer = await client.postJson(endpoints.push(name), { rows: batch }, pushResponseSchema);
        response.conflicts.push(...answer.conflicts);
        response.rejected.push(...answer.rejected);
      } catch (error) {
        if (!isBrainStoreError(error, 'TOO_LARGE') || client.maxBodyBytes >= limit) throw error;
        remaining = batches.slice(index).flat();
        break;
      }
    }
  }
  return response;
}

/** The refusal of a row larger than the server's body limit, as the server words its own. */
function tooLargeRow(row: PushRow, key: string, maxBodyBytes: number): RejectedRow {
  const document = row.newDocumentState;
  const message = `the document is larger than the server's body limit (${maxBodyBytes} bytes) and can never be pushed`;
  return {
    id: String(document[key]),
    code: 'TOO_LARGE',
    message,
    issues: [{ path: [], message, code: 'too_big' }],
    master: row.assumedMasterState ?? null,
  };
}

/**
 * The row as it goes on the wire, without RxDB's own fields: a schema migration (issue 20)
 * writes `_attachments: {}` into the assumed master states it migrates; sent as they are, the
 * server saw a field the writer changed and refused the store's first push after an upgrade.
 */
function toWireRow(row: { newDocumentState: unknown; assumedMasterState?: unknown }): PushRow {
  const assumed = row.assumedMasterState as WireDocument | null | undefined;
  return {
    newDocumentState: stripBookkeeping(row.newDocumentState as WireDocument),
    assumedMasterState: assumed ? stripBookkeeping(assumed) : null,
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

/** A pull refused for its checkpoint: BAD_REQUEST with an issue at `checkpoint` (sign-checkpoint.ts). */
function isRefusedCheckpoint(error: unknown): boolean {
  return isBrainStoreError(error, 'BAD_REQUEST') && error.issues.some((issue) => issue.path[0] === 'checkpoint');
}
