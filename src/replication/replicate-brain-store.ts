import { BehaviorSubject, combineLatest, distinctUntilChanged, map, type Observable } from 'rxjs';
import { deepEqual, type RxCollection } from 'rxdb';
import type { BrainStore } from '../store/create-brain-store.ts';
import type { CollectionName } from '../collections/declare-collection.ts';
import { BrainStoreError, ERROR_CODES, type BrainStoreErrorCode } from '../errors/brain-store-error.ts';
import { endpoints, MAX_PULL_BATCH, MAX_PUSH_ROWS, SYNC_COLLECTIONS } from '../protocol/endpoints.ts';
import { SyncHttpClient, type FetchLike } from './sync-http-client.ts';
import { AccessTokenSource, type GetToken } from './access-token-source.ts';
import type { ExpiryScheduler } from '../store/scheduler.ts';
import { PendingWrites } from './pending-writes.ts';
import { RejectedWrites, type RejectedWrite } from './rejected-writes.ts';
import { replicateCollection, type CollectionReplication } from './replicate-collection.ts';
import { DEFAULT_RETRY_TIME, replicationBackoffs } from './capped-backoff.ts';
import { isRetentionDelete } from '../collections/retention.ts';
import { retentionInUse } from '../store/retention-in-use.ts';
import { watchSession, type SessionWatch, type SyncSession } from './watch-session.ts';
import { markReplicated, watchClockOffset, writeClockOffset } from '../store/local-settings.ts';
import { trackClockOffset } from './track-clock-offset.ts';
import { registerReplication } from '../store/unacknowledged-writes.ts';
import { unacknowledgedByReplication } from './unacknowledged-by-replication.ts';
import { sharedFirstSync } from './first-sync/shared-first-sync.ts';
import type { FirstSyncProgress } from './first-sync/run-first-sync.ts';
import type { SyncState, SyncStatus } from './sync-status.ts';
import { leadershipFor } from './leadership/leadership-for.ts';
import { shareSyncTruth } from './leadership/shared-sync-truth.ts';
import { pushOnLeave } from './leadership/last-chance-push.ts';

export interface ReplicateBrainStoreOptions {
  /** The sync server's base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** A fixed access token (replace it with `setToken`) … */
  readonly token?: string;
  /**
   * … or a function asked before every request, again after the server refused a token (a
   * 401; `{ refused }` names it, so a cached copy can be dropped), and shortly before the
   * token's `exp` (`{ expiring }`; open streams then reconnect with the new one).
   * While it keeps returning a refused token, status is `unauthorized` and it is asked again
   * on a jittered backoff from `retryTime` up to 60 s.
   */
  readonly getToken?: GetToken;
  /** Timers of the token renewal before expiry (default the global ones; tests inject a fake). */
  readonly scheduler?: ExpiryScheduler;
  /** Keep pulling changes from the server's stream (default true); false syncs once. */
  readonly live?: boolean;
  /** Documents per push request (default 200, at most 1000). */
  readonly batchSize?: number;
  /** Documents per pull request (default 1000, at most 5000), and per first-sync page (default 5000). */
  readonly pullBatchSize?: number;
  /**
   * The longest wait before retrying a failed pull, push or first sync, in ms (default 5000).
   * Each retry waits a random time within a window that starts at min(retryTime, 1 s) and
   * doubles with each consecutive failure up to retryTime (full jitter), so clients that
   * failed together (a server restart) do not retry together. Change streams reconnect the
   * same way, their window doubling up to max(retryTime, 30 s).
   */
  readonly retryTime?: number;
  /**
   * How long a request may wait for the server's answer to begin, in ms (default 30 000); then
   * it counts as a network failure and is retried. Bounds a request on a connection that died
   * silently.
   */
  readonly requestTimeoutMs?: number;
  /**
   * The randomness of every retry and reconnect wait (default Math.random): each wait is
   * `random()` × its window. Tests inject their own; `() => 1` waits the whole window each
   * time, as clients did before the jitter (benchmarks compare the two).
   */
  readonly random?: () => number;
  /** Injected fetch (tests, custom agents). Default: the global fetch. */
  readonly fetch?: FetchLike;
  /** Which collections to replicate (default all three). */
  readonly collections?: readonly CollectionName[];
  /**
   * Local deletes that must not be pushed. Default: deletes made by the expiry cleanup's
   * retention purge, which the server makes by the same rule (see startExpiryCleanup).
   */
  readonly skipPush?: (collection: CollectionName, doc: Record<string, unknown>) => boolean;
  /**
   * Correct the store's clock by the server's (default true): every sync response carries
   * the server's time, and the store's `now` — expiry, time-reactive reads, default
   * timestamps — becomes the injected clock plus the estimated offset. The last offset is
   * kept across restarts and used while offline. false: the store keeps the device's time.
   */
  readonly correctClock?: boolean;
  /** The sync protocol version to speak. Default: this release's PROTOCOL_VERSION; tests and tools play older clients with it. */
  readonly protocolVersion?: number;
}

export interface BrainSync {
  readonly status$: Observable<SyncStatus>;
  /** Writes the server refused for good (code + reason), kept until cleared. */
  readonly rejected$: Observable<readonly RejectedWrite[]>;
  /**
   * The first sync of an empty store (issue 19): per collection, documents stored of the
   * server's total; `done` once every page is in, `skipped` when the store had history.
   */
  readonly firstSync$: Observable<FirstSyncProgress>;
  /** Estimated offset of the server's clock to this device's (ms, server − device); null until known. */
  readonly clockOffset$: Observable<number | null>;
  clearRejected(predicate?: (write: RejectedWrite) => boolean): void;
  /**
   * What the current token grants — `{ subject, role, workspaces, expiresAt }` as the server
   * reads it — null until first known; asked again when `getToken` returns a token with another grant.
   */
  readonly session$: Observable<SyncSession | null>;
  /** Asks the server what the current token grants (GET /sync/session). */
  session(): Promise<SyncSession>;
  /** Resolves when every local write so far is on the server and the last pull is in. */
  awaitInSync(): Promise<void>;
  /** Resolves when the current version of document `id` is acknowledged by the server. */
  awaitWrite(id: string): Promise<void>;
  /** Pull now (e.g. after the app learns it is back online). */
  resync(): void;
  /**
   * Whether this tab is the one that replicates (always true for a store of its own). In a
   * browser it follows the tab in use: see docs/multi-tab.md.
   */
  readonly leading$: Observable<boolean>;
  isLeader(): boolean;
  /**
   * Use this token from now on (e.g. the person opened a new link): a replication waiting in
   * state `unauthorized` goes on at once and pushes the writes kept meanwhile.
   */
  setToken(token: string): void;
  cancel(): Promise<void>;
}

/**
 * Keeps a store in sync with a brain-store sync server.
 * @example
 * const sync = replicateBrainStore(store, { url: 'http://127.0.0.1:8787', token });
 * sync.status$.subscribe((s) => console.log(s.state, s.pending));
 * await sync.awaitInSync();
 */
export function replicateBrainStore(store: BrainStore, options: ReplicateBrainStoreOptions): BrainSync {
  if (options.getToken === undefined && options.token === undefined)
    throw new BrainStoreError('CONFIG', { parameters: { option: 'token' }, message: 'Pass `token` or `getToken`.' });
  const batchSize = wholeOption('batchSize', options.batchSize ?? 200, MAX_PUSH_ROWS);
  const pullBatchSize = wholeOption('pullBatchSize', options.pullBatchSize ?? 1_000, MAX_PULL_BATCH);
  const retryTime = options.retryTime ?? DEFAULT_RETRY_TIME;
  const random = options.random ?? Math.random;
  const clockOffset = trackClockOffset({
    clock: store.clock,
    correct: options.correctClock ?? true,
    stored$: watchClockOffset(store.database),
    persist: (offsetMs, measuredAt) => writeClockOffset(store.database, offsetMs, measuredAt),
    // A failed write of the offset (the store closing) costs only its reuse after a restart.
    onError: () => undefined,
  });
  // Retention must keep this database's unpushed writes even before a replication runs again.
  markReplicated(store.database).catch(() => undefined);
  // Set once the replications exist; the token wrapper and skipPush run only later.
  const sessionRef: { watch?: SessionWatch } = {};
  const tokens = new AccessTokenSource({
    getToken: options.getToken ?? (() => options.token as string),
    renewable: options.getToken !== undefined,
    now: store.now,
    retryMs: retryTime,
    random,
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    // Every token sent is shown to the session watch: a refreshed one may grant other workspaces.
    onToken: (token) => sessionRef.watch?.tokenSeen(token),
  });
  const client = new SyncHttpClient({
    url: options.url,
    tokens,
    clientId: globalThis.crypto.randomUUID(),
    clock: store.clock.base,
    onServerTime: (sample) => clockOffset.add(sample),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.protocolVersion !== undefined ? { protocolVersion: options.protocolVersion } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  // Which tab replicates: the one in use (issue 18, docs/multi-tab.md).
  const leadership = leadershipFor(store.database);
  // Shared by the tabs of a multi-instance database: every tab counts what the server lacks.
  const pending = PendingWrites.forDatabase(store.database, () => leadership.isLeader());
  const rejected = new RejectedWrites();
  const lastSyncedAt$ = new BehaviorSubject<number | null>(null);
  pending.syncedAt$.subscribe((at) => lastSyncedAt$.next(at));
  const streamError$ = new BehaviorSubject<unknown>(undefined);
  // Full jitter on every reconnect and retry (issue 17.6): streams back off to 30 s, requests to retryTime.
  const { stream: backoff, request: retryBackoff } = replicationBackoffs(retryTime, random);

  const names = options.collections ?? SYNC_COLLECTIONS;
  // An empty store first takes what matters most, in large pages, then hands over (issue 19).
  const firstSyncAbort = new AbortController();
  const firstSync = sharedFirstSync({ client, names, pageSize: options.pullBatchSize ?? MAX_PULL_BATCH, signal: firstSyncAbort.signal });
  /** Collections whose next pull starts from the beginning (a workspace was granted). */
  const rewinds = new Set<string>();
  // Each collection's latest failure, cleared by its next successful round trip.
  const errors = names.map(() => new BehaviorSubject<unknown>(undefined));
  const replications: CollectionReplication[] = names.map((name, index) =>
    replicateCollection({
      name,
      collection: store.database[name] as unknown as RxCollection<Record<string, unknown>>,
      client,
      live: options.live ?? true,
      batchSize,
      pullBatchSize,
      retryTime,
      retryBackoff,
      backoff,
      random,
      now: store.now,
      pending,
      rejected,
      skipPush: (doc) =>
        sessionRef.watch?.isRevoked(doc) === true ||
        (options.skipPush ? options.skipPush(name, doc) : isRetentionDelete(name, doc, store.now(), retentionInUse(store.database))),
      fromStart: () => rewinds.delete(name),
      onSynced: () => {
        pending.synced(store.now());
        errors[index]!.next(undefined);
        streamError$.next(undefined);
      },
      onStreamError: (error) => streamError$.next(error),
      firstSync: firstSync.forCollection,
      resync: { onProgress: (progress) => firstSync.reportResync(name, progress) },
      leading$: leadership.leading$,
      live$: leadership.live$,
      onPushUnanswered: () => lastChance.unanswered(),
      renewed$: tokens.renewed$,
    }),
  );

  const sessionWatch = (sessionRef.watch = watchSession({
    client,
    collections: names.map((name) => ({ name, collection: store.database[name] as unknown as RxCollection<Record<string, unknown>> })),
    isPending: (id) => pending.has(id),
    rejected,
    now: store.now,
    onGained: () => {
      for (const name of names) rewinds.add(name);
      for (const replication of replications) replication.resync();
    },
  }));

  replications.forEach((replication, index) => replication.error$.subscribe((error) => errors[index]!.next(error)));
  // The retention purge leaves alone what the server has not acknowledged yet (issue 11.3), and
  // tombstones wait until the replication has read them.
  const unregisterChecks = replications.map((replication, index) => {
    const name = names[index]!;
    const collection = store.database[name] as unknown as RxCollection<Record<string, unknown>>;
    return registerReplication(store.database, name, {
      unacknowledged: unacknowledgedByReplication(replication, collection),
      awaitInSync: () => replication.awaitInSync(),
    });
  });
  const lastError$ = combineLatest([...errors, streamError$]).pipe(map((errors) => errors.find((error) => error !== undefined)));
  const active$ = combineLatest(replications.map((replication) => replication.active$)).pipe(map((all) => all.some(Boolean)));

  const localStatus$ = combineLatest([active$, pending.count$, lastSyncedAt$, lastError$, tokens.problem$]).pipe(
    map(([active, pendingCount, lastSyncedAt, error, refused]): SyncStatus => {
      // One state for a refused token, whatever each collection's requests are doing meanwhile.
      if (refused)
        return { state: 'unauthorized', pending: pendingCount, lastSyncedAt, error: refused.error, tokenProblem: refused.problem };
      const failure = error === undefined ? undefined : toBrainStoreError(error);
      const state: SyncState = failure
        ? failure.code === 'NETWORK'
          ? 'offline'
          : failure.code === 'UPGRADE_REQUIRED'
            ? 'upgrade-required'
            : 'error'
        : active || pendingCount > 0
          ? 'syncing'
          : 'idle';
      return { state, pending: pendingCount, lastSyncedAt, ...(failure ? { error: failure } : {}) };
    }),
    distinctUntilChanged(deepEqual),
  );
  // Every tab shows the replicating tab's state and refused writes (issue 18.2).
  const shared = shareSyncTruth({
    channel: store.database.multiInstance ? `brain-store-sync-truth:${store.database.name}` : undefined,
    leading$: leadership.leading$,
    isLeader: () => leadership.isLeader(),
    local$: localStatus$,
    pending$: pending.count$,
    rejected,
  });
  const status$ = shared.status$;
  // Leaving with writes unsynced: a keepalive push, and the outbox for the service worker (issue 18.3).
  const lastChance = pushOnLeave({
    store: store.database.name,
    leading$: leadership.leading$,
    pending$: pending.count$,
    collections: replications.map((replication, index) => ({
      url: client.identity + endpoints.push(names[index]!),
      unsentRows: () => replication.unsentRows(),
    })),
    // With the token: the keepalive request and the service worker send these as they are.
    headers: () => client.authorizedHeaders({}, AbortSignal.timeout(10_000)),
  });

  let cancelled: Promise<void> | undefined;
  const cancel = () =>
    (cancelled ??= (async () => {
      for (const unregister of unregisterChecks) unregister();
      firstSyncAbort.abort();
      // Requests waiting for a usable token give up first, so the replications can stop.
      tokens.stop();
      await Promise.all(replications.map((replication) => replication.cancel()));
      // Only now may another tab start: this one pushes nothing more.
      leadership.stop();
      for (const replication of replications) replication.restore();
      shared.stop();
      lastChance.stop();
      pending.stop();
      rejected.stop();
      sessionWatch.stop();
      clockOffset.stop();
      lastSyncedAt$.complete();
      streamError$.complete();
      errors.forEach((error$) => error$.complete());
    })());
  store.onClose(cancel);

  return {
    status$,
    rejected$: rejected.list$,
    session$: sessionWatch.session$,
    firstSync$: firstSync.progress$,
    session: () => sessionWatch.refresh(),
    clockOffset$: clockOffset.offset$,
    clearRejected: (predicate) => rejected.clear(predicate),
    // In a tab that does not replicate, RxDB's replication waits for leadership: the shared
    // tracker says when the replicating tab has the server acknowledge the writes.
    awaitInSync: async () => {
      await Promise.race([Promise.all(replications.map((replication) => replication.awaitInSync())), pending.settledAsFollower()]);
    },
    awaitWrite: async (id) => {
      const asLeader = async () => {
        // Let RxDB hand the newest local version to the push handler first.
        await Promise.all(replications.map((replication) => replication.awaitInitialReplication()));
        await pending.settled(id);
      };
      await Promise.race([asLeader(), pending.settledAsFollower(id)]);
    },
    resync: () => replications.forEach((replication) => replication.resync()),
    leading$: leadership.leading$,
    isLeader: () => leadership.isLeader(),
    setToken: (token) => tokens.set(token),
    cancel,
  };
}

function wholeOption(option: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new BrainStoreError('CONFIG', { parameters: { option, value }, message: `${option} must be a whole number from 1 to ${max}.` });
  }
  return value;
}

function toBrainStoreError(error: unknown): BrainStoreError {
  if (error instanceof BrainStoreError) return error;
  // RxDB wraps handler errors (RC_PULL / RC_PUSH) with the originals in parameters.errors.
  const inner = (error as { parameters?: { errors?: unknown[] } }).parameters?.errors?.[0];
  if (inner instanceof BrainStoreError) return inner;
  const plain = inner as { code?: string; message?: string; parameters?: Record<string, unknown> } | undefined;
  if (plain?.code && Object.hasOwn(ERROR_CODES, plain.code)) {
    // The server's (or the HTTP client's) code survives RxDB's plain-JSON wrapping.
    return new BrainStoreError(plain.code as BrainStoreErrorCode, {
      cause: error,
      message: plain.message ?? '',
      parameters: plain.parameters ?? {},
    });
  }
  return new BrainStoreError('NETWORK', { cause: error, message: error instanceof Error ? error.message : String(error) });
}
