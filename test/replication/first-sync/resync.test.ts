/**
 * Issue 19, a resync after a long absence: a device with history whose pull checkpoint is far
 * behind shows the right head of its queue before the rest of the missed changes arrives —
 * new urgent actions, priorities changed, actions deleted or finished elsewhere — while a
 * local edit made meanwhile is kept and pushed (the merge rule decides, as in the normal
 * protocol); a short absence takes the pull alone, and a server that does not know the
 * resync is simply pulled from.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { firstValueFrom, filter } from 'rxjs';
import { COLLECTIONS } from '../../../src/collections/all-collections.ts';
import { comparePartOrder, matchesPart } from '../../../src/collections/first-sync-parts.ts';
import { insertDocuments, updateDocuments } from '../../../src/server/documents/document-store.ts';
import type { WireDocument } from '../../../src/protocol/messages.ts';
import type { FirstSyncProgress } from '../../../src/replication/first-sync/run-first-sync.ts';
import type { BrainStore, BrainSync } from '../../../src/index.ts';
import { fuzzSettings } from '../../helpers/fuzz-settings.ts';
import { startTestServer, type TestServer } from '../../helpers/sync-server.ts';
import { storedRows } from '../../server/fixtures.ts';
import { observedFetch, pendingActions } from './first-sync-fixtures.ts';
import { openSyncedStore, sync as startSync } from '../sync-fixtures.ts';

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ backend: 'pglite' });
  token = await server.token(['w1']);
});
afterAll(() => server?.close());
beforeEach(() => server.reset());
/** Holds released and replications cancelled after each test, also a failed one (nothing left writing to the server). */
const releases: (() => void)[] = [];
const started: BrainSync[] = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await Promise.all(started.splice(0).map((replication) => replication.cancel()));
});

/** Pull pages of 10: more than 2 × 10 changes since the checkpoint make a resync. */
const PAGE = 10;
const NOW = Date.now();
const urgent = COLLECTIONS.brainActions.firstSync[0]!;
const action = pendingActions('rs', NOW);

const seed = (docs: readonly WireDocument[]) => insertDocuments(server.sql, 'brainActions', storedRows(docs), NOW);
const rewrite = (docs: readonly WireDocument[]) => updateDocuments(server.sql, 'brainActions', storedRows(docs), NOW);

/** The server's queue head now: pending live actions in the part's order (getActionsByPriority's). */
async function serverTop(limit: number): Promise<string[]> {
  const rows = await server.sql.query<{ doc: Record<string, unknown> }>(
    `SELECT doc FROM brain_store_documents WHERE collection = 'brainActions' AND NOT deleted`,
  );
  return rows
    .map((row) => row.doc)
    .filter((doc) => matchesPart(urgent, doc))
    .sort(comparePartOrder(urgent))
    .slice(0, limit)
    .map((doc) => doc['id'] as string);
}

/** A replication cancelled after the test. */
function sync(...args: Parameters<typeof startSync>): BrainSync {
  const replication = startSync(...args);
  started.push(replication);
  return replication;
}

const countOnServer = async () =>
  Number(
    (await server.sql.query<{ n: string }>(`SELECT count(*) AS n FROM brain_store_documents WHERE collection = 'brainActions'`))[0]!.n,
  );

/** A fetch that records request bodies and holds the first brainActions pull until released (at the latest after the test). */
function heldPull() {
  const observed = observedFetch((path) => path === '/sync/brainActions/pull');
  releases.push(observed.release);
  return observed;
}

/** A device that synced `history`, then closed (away): its store reopens from the same IndexedDB. */
async function deviceWithHistory(history: readonly WireDocument[]): Promise<{ reopen: () => Promise<BrainStore> }> {
  await seed(history);
  const store = await openSyncedStore();
  const first = sync(store, { url: server.url, token, pullBatchSize: PAGE });
  await first.awaitInSync();
  expect(await store.database.brainActions.count().exec()).toBe(history.length);
  await first.cancel();
  await store.close();
  return { reopen: () => openSyncedStore({ idb: store.idb, name: store.storeName }) };
}

const topOf = async (store: BrainStore) =>
  (await store.brainActions.getActionsByPriority({ workspace_id: 'w1', limit: 20 }).exec()).map((doc) => doc.id);
const resyncOf = (replication: BrainSync) =>
  firstValueFrom(
    replication.firstSync$.pipe(filter((progress: FirstSyncProgress) => progress.collections['brainActions']?.kind === 'resync')),
  );

describe('resync after a long absence (issue 19)', () => {
  it('the top 20 of the queue are right before the rest of the missed changes arrives (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            priority: fc.integer({ min: 0, max: 100 }),
            change: fc.constantFrom('none', 'none', 'none', 'priority', 'dismiss', 'delete'),
            newPriority: fc.integer({ min: 0, max: 100 }),
          }),
          { minLength: 25, maxLength: 60 },
        ),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2 * PAGE + 5, maxLength: 70 }),
        async (history, added) => {
          await server.reset();
          const docs = history.map((spec, index) => action(spec.priority, 10_000 + (index % 9)));
          const device = await deviceWithHistory(docs);
          // Away: new actions, priorities edited, actions dismissed elsewhere or deleted.
          await seed(added.map((priority, index) => action(priority, 5_000 + (index % 5))));
          for (const [index, spec] of history.entries()) {
            const doc = docs[index]!;
            if (spec.change === 'priority') await rewrite([{ ...doc, priority: spec.newPriority, priority_rank: 100 - spec.newPriority }]);
            if (spec.change === 'dismiss') await rewrite([{ ...doc, status: 'dismissed', status_at: NOW - 500 }]);
            if (spec.change === 'delete') await rewrite([{ ...doc, _deleted: true }]);
          }
          const store = await device.reopen();
          const observed = heldPull();
          const replication = sync(store, { url: server.url, token, pullBatchSize: PAGE, fetch: observed.fetch });
          try {
            await observed.holding;
            // The pull has not brought anything yet: most of the missed changes are still away.
            expect(await store.database.brainActions.count().exec()).toBeLessThan(await countOnServer());
            expect(await topOf(store)).toEqual(await serverTop(20));
            observed.release();
            await replication.awaitInSync();
            expect(await topOf(store)).toEqual(await serverTop(20));
          } finally {
            observed.release();
            await replication.cancel();
            await store.close();
          }
        },
      ),
      fuzzSettings('resync-head', 4),
    );
  });

  it('a server delete and a status change made during the absence take the action out of the queue at once', async () => {
    const docs = Array.from({ length: 30 }, (_, index) => action(60 + index));
    const device = await deviceWithHistory(docs);
    const [deleted, dismissed, actioned] = [docs[29]!, docs[28]!, docs[27]!];
    await rewrite([{ ...deleted, _deleted: true }]);
    await rewrite([{ ...dismissed, status: 'dismissed', status_at: NOW - 100 }]);
    await rewrite([{ ...actioned, status: 'actioned', status_at: NOW - 100, actioned_at: NOW - 100, actioned_by: 'someone' }]);
    // And plenty of noise that is not in the queue (finished elsewhere), so that the absence is long.
    await seed(Array.from({ length: 4 * PAGE }, () => action(1, 1_000, { status: 'dismissed', status_at: NOW - 100 })));
    const store = await device.reopen();
    const observed = heldPull();
    const replication = sync(store, { url: server.url, token, pullBatchSize: PAGE, fetch: observed.fetch });
    const progress = resyncOf(replication);
    await observed.holding;
    const top = await topOf(store);
    expect(top).not.toContain(deleted.id);
    expect(top).not.toContain(dismissed.id);
    expect(top).not.toContain(actioned.id);
    expect(top).toEqual(await serverTop(20));
    expect(await store.database.brainActions.findOne(deleted.id).exec()).toBeNull();
    // Only the head came first: the noise is still away.
    expect(await store.database.brainActions.find({ selector: { priority: 1 } }).exec()).toEqual([]);
    expect((await progress).collections['brainActions']).toMatchObject({ kind: 'resync' });
    const held = observed.bodies.filter((entry) => entry.body['step'] === 'held');
    expect(held.length).toBeGreaterThan(0);
    observed.release();
    await replication.awaitInSync();
    expect(await store.database.brainActions.count().exec()).toBe(29 + 4 * PAGE);
    await replication.cancel();
  });

  it('a local edit made while away is kept and pushed; the merge rule decides against the server version', async () => {
    const docs = Array.from({ length: 30 }, (_, index) => action(60 + index));
    const device = await deviceWithHistory(docs);
    const [raised, finished] = [docs[29]!, docs[28]!];
    // Offline, the user dismisses both (nothing can be pushed).
    const offline = await device.reopen();
    await offline.brainActions.dismissAction({ action_id: raised.id });
    await offline.brainActions.dismissAction({ action_id: finished.id });
    await offline.close();
    // Meanwhile on the server: the bot raises one's priority; someone actioned the other, earlier.
    await rewrite([{ ...raised, priority: 99, priority_rank: 1 }]);
    const actionedAt = NOW - 50;
    await rewrite([{ ...finished, status: 'actioned', status_at: actionedAt, actioned_at: actionedAt, actioned_by: 'someone' }]);
    await seed(Array.from({ length: 4 * PAGE }, (_, index) => action(90 + (index % 5))));
    const store = await device.reopen();
    const observed = heldPull();
    const replication = sync(store, { url: server.url, token, pullBatchSize: PAGE, fetch: observed.fetch });
    await observed.holding;
    // The head brought both server versions: the local dismissal of each is not overwritten.
    expect((await store.database.brainActions.findOne(raised.id).exec())?.status).toBe('dismissed');
    const top = await topOf(store);
    // The rest of the head is the server's: the new urgent actions are on screen.
    expect(top).toEqual((await serverTop(21)).filter((id) => id !== raised.id).slice(0, 20));
    observed.release();
    await replication.awaitInSync();
    const pushed = observed.bodies
      .filter((entry) => entry.path.endsWith('/push'))
      .flatMap((entry) => (entry.body['rows'] as { newDocumentState: { id: string } }[]).map((row) => row.newDocumentState.id));
    expect(new Set(pushed)).toEqual(new Set([raised.id, finished.id]));
    const rows = await server.sql.query<{ id: string; doc: { status: string } }>(
      `SELECT id, doc FROM brain_store_documents WHERE id = ANY($1::text[])`,
      [[raised.id, finished.id]],
    );
    const onServer = Object.fromEntries(rows.map((row) => [row.id, row.doc.status]));
    // pending (edited) vs dismissed: the dismissal; two terminal states: the earlier one, the server's actioned.
    expect(onServer).toEqual({ [raised.id]: 'dismissed', [finished.id]: 'actioned' });
    expect((await store.database.brainActions.findOne(raised.id).exec())?.status).toBe('dismissed');
    expect((await store.database.brainActions.findOne(finished.id).exec())?.status).toBe('actioned');
    await replication.cancel();
  });

  it('a short absence takes the pull alone: no head pages, no resync progress', async () => {
    const docs = Array.from({ length: 30 }, (_, index) => action(index));
    const device = await deviceWithHistory(docs);
    const late = Array.from({ length: PAGE }, () => action(100));
    await seed(late);
    const store = await device.reopen();
    const observed = heldPull();
    const replication = sync(store, { url: server.url, token, pullBatchSize: PAGE, fetch: observed.fetch });
    const kinds: string[] = [];
    replication.firstSync$.subscribe((progress) => kinds.push(progress.collections['brainActions']?.kind ?? ''));
    await observed.holding;
    observed.release();
    await replication.awaitInSync();
    expect(await topOf(store)).toEqual(await serverTop(20));
    const resyncSteps = observed.bodies.filter((entry) => entry.path.endsWith('/first-sync')).map((entry) => entry.body['step']);
    expect(resyncSteps.filter((step) => step !== 'begin')).toEqual([]);
    expect(kinds).not.toContain('resync');
    await replication.cancel();
  });

  it('a server that does not know the resync (400 for since) is simply pulled from', async () => {
    const docs = Array.from({ length: 30 }, (_, index) => action(index));
    const device = await deviceWithHistory(docs);
    await seed(Array.from({ length: 4 * PAGE }, (_, index) => action(index)));
    const store = await device.reopen();
    const refusing = async (input: string, init?: RequestInit) => {
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
      if (new URL(input).pathname.endsWith('/first-sync') && 'since' in body) {
        const error = {
          code: 'BAD_REQUEST',
          message: 'unrecognized key: "since"',
          issues: [{ path: ['since'], message: 'unrecognized', code: 'unrecognized_keys' }],
        };
        return new Response(JSON.stringify({ error }), { status: 400, headers: { 'content-type': 'application/json' } });
      }
      return fetch(input, init);
    };
    const replication = sync(store, { url: server.url, token, pullBatchSize: PAGE, fetch: refusing });
    await replication.awaitInSync();
    expect(await store.database.brainActions.count().exec()).toBe(30 + 4 * PAGE);
    expect(await topOf(store)).toEqual(await serverTop(20));
    await replication.cancel();
  });
});
