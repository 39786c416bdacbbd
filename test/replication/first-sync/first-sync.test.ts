/**
 * Issue 19: a first sync into an empty store — the head of the queue first, no
 * per-document replication bookkeeping, a clean handover to RxDB's replication — and the
 * guarantees it must keep: a local write made during the first sync is neither lost nor
 * overwritten, a server write made after the checkpoint arrives, nothing is pushed back,
 * and a restart in the middle continues where it stopped.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { firstValueFrom, filter } from 'rxjs';
import { COLLECTIONS } from '../../../src/collections/all-collections.ts';
import { comparePartOrder, matchesPart } from '../../../src/collections/first-sync-parts.ts';
import { insertDocuments } from '../../../src/server/documents/document-store.ts';
import type { WireDocument } from '../../../src/protocol/messages.ts';
import type { FirstSyncProgress } from '../../../src/replication/first-sync/run-first-sync.ts';
import { startTestServer, type TestServer } from '../../helpers/sync-server.ts';
import { storedRows, summary as wireSummary } from '../../server/fixtures.ts';
import { observedFetch, pendingActions } from './first-sync-fixtures.ts';
import { openSyncedStore, sync, firstMatching } from '../sync-fixtures.ts';

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ backend: 'pglite' });
  token = await server.token(['w1']);
});
afterAll(() => server?.close());
beforeEach(() => server.reset());

const NOW = Date.now();
const action = pendingActions('fs', NOW);

async function seed(collection: string, docs: readonly WireDocument[]): Promise<void> {
  await insertDocuments(server.sql, collection, storedRows(docs), NOW);
}

const pushedRows = (bodies: { path: string; body: Record<string, unknown> }[]) =>
  bodies.filter((entry) => entry.path.endsWith('/push')).flatMap((entry) => entry.body['rows'] as unknown[]);

const doneOf = (progress$: import('rxjs').Observable<FirstSyncProgress>) =>
  firstValueFrom(progress$.pipe(filter((progress) => progress.state === 'done' || progress.state === 'skipped')));

describe('first sync into an empty store (issue 19)', () => {
  it('fills the store against the server totals, pushes nothing back, then continues by the normal protocol', async () => {
    const actions = [
      ...Array.from({ length: 120 }, (_, index) => action(index % 101)),
      action(50, 1_000, { status: 'dismissed', status_at: NOW }),
    ];
    await seed('brainActions', actions);
    await seed('brainSummaries', [wireSummary('s-1', NOW - 2_000), wireSummary('s-2', NOW - 1_000)]);
    const store = await openSyncedStore();
    const observed = observedFetch();
    const replication = sync(store, { url: server.url, token, pullBatchSize: 25, fetch: observed.fetch });
    const progress = await doneOf(replication.firstSync$);
    expect(progress.state).toBe('done');
    expect(progress.collections['brainActions']).toEqual({ kind: 'first-sync', received: 121, total: 121, state: 'done' });
    expect(progress.collections['brainSummaries']).toEqual({ kind: 'first-sync', received: 2, total: 2, state: 'done' });
    await replication.awaitInSync();
    expect(await store.database.brainActions.count().exec()).toBe(121);
    // The documents came by the first sync, not by RxDB's pull, and none went back up.
    expect(observed.bodies.filter((entry) => entry.path.endsWith('/first-sync')).length).toBeGreaterThan(5);
    expect(pushedRows(observed.bodies)).toEqual([]);
    // The normal protocol took over: a later server write arrives live, and a local edit goes up.
    const late = action(100, 10);
    await seed('brainActions', [late]);
    replication.resync();
    await firstMatching(store.brainActions.getActionsByPriority({ workspace_id: 'w1', limit: 1 }).$, (top) => top[0]?.id === late.id);
    const target = actions[5]!;
    await store.brainActions.dismissAction({ action_id: target.id });
    await replication.awaitInSync();
    const [row] = await server.sql.query<{ doc: { status: string } }>(`SELECT doc FROM brain_store_documents WHERE id = $1`, [target.id]);
    expect(row!.doc.status).toBe('dismissed');
  });

  it('shows the most urgent actions before the rest has arrived, in the queue order (property)', async () => {
    const urgent = COLLECTIONS.brainActions.firstSync[0]!;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 30, maxLength: 150 }), async (priorities) => {
        await server.reset();
        const actions = priorities.map((priority, index) => action(priority, 1_000 + (index % 7)));
        await seed('brainActions', actions);
        const store = await openSyncedStore();
        // Hold the first page of the rest: by then only the head parts are stored.
        const observed = observedFetch((path, body) => path.endsWith('/first-sync') && body['part'] === 'rest');
        const replication = sync(store, { url: server.url, token, pullBatchSize: 10, fetch: observed.fetch });
        await observed.holding;
        const top = await store.brainActions.getActionsByPriority({ workspace_id: 'w1', limit: 20 }).exec();
        const expected = actions
          .filter((doc) => matchesPart(urgent, doc))
          .sort(comparePartOrder(urgent))
          .slice(0, 20);
        expect(top.map((doc) => doc.id)).toEqual(expected.map((doc) => doc.id));
        observed.release();
        await doneOf(replication.firstSync$);
        await replication.cancel();
        await store.close();
      }),
      { numRuns: 4 },
    );
  });

  it('follows head pages the server cut at its byte budget: the whole head is stored before the rest', async () => {
    // About three actions per page: the head of 20 comes in several pages, each continued.
    const small = await startTestServer({ backend: 'pglite', limits: { maxPageBytes: 2_400 } });
    try {
      const actions = Array.from({ length: 60 }, (_, index) => action(index));
      await seed('brainActions', actions);
      const store = await openSyncedStore();
      const observed = observedFetch((path, body) => path.endsWith('/first-sync') && body['part'] === 'rest');
      const replication = sync(store, { url: small.url, token, pullBatchSize: 5_000, fetch: observed.fetch });
      await observed.holding;
      const top = await store.brainActions.getActionsByPriority({ workspace_id: 'w1', limit: 20 }).exec();
      expect(top.map((doc) => doc.id)).toEqual(
        actions
          .slice(-20)
          .reverse()
          .map((doc) => doc.id),
      );
      const continued = observed.bodies.filter((entry) => entry.body['part'] === 'urgent' && entry.body['after'] !== null);
      expect(continued.length).toBeGreaterThan(5);
      observed.release();
      const progress = await doneOf(replication.firstSync$);
      expect(progress.collections['brainActions']).toEqual({ kind: 'first-sync', received: 60, total: 60, state: 'done' });
      await replication.awaitInSync();
      expect(await store.database.brainActions.count().exec()).toBe(60);
      expect(pushedRows(observed.bodies)).toEqual([]);
      await replication.cancel();
      await store.close();
    } finally {
      await small.close();
    }
  });

  it('keeps a local write made during the first sync: neither lost nor overwritten by a later page', async () => {
    const actions = Array.from({ length: 60 }, (_, index) => action(index));
    await seed('brainActions', actions);
    const store = await openSyncedStore();
    const observed = observedFetch((path, body) => path.endsWith('/first-sync') && body['part'] === 'rest');
    const replication = sync(store, { url: server.url, token, pullBatchSize: 10, fetch: observed.fetch });
    await observed.holding;
    // The top action is on screen (head part); the user dismisses it and the bot adds one,
    // before the rest — which carries the same action again — arrives.
    const top = actions[59]!;
    await store.brainActions.dismissAction({ action_id: top.id });
    const created = await store.brainActions.createActionRecommendation({
      workspace_id: 'w1',
      contact_id: 'c9',
      action_type: 'follow_up',
      priority: 7,
      urgency: 'today',
      reason: 'made during the first sync',
    });
    observed.release();
    await doneOf(replication.firstSync$);
    await replication.awaitInSync();
    const local = await store.database.brainActions.findOne(top.id).exec();
    expect(local?.status).toBe('dismissed');
    const rows = await server.sql.query<{ id: string; doc: { status: string } }>(
      `SELECT id, doc FROM brain_store_documents WHERE id = ANY($1::text[])`,
      [[top.id, created]],
    );
    expect(Object.fromEntries(rows.map((row) => [row.id, row.doc.status]))).toEqual({ [top.id]: 'dismissed', [created]: 'pending' });
    // Only the two local writes went up (the dismissal perhaps twice: once without an assumed master, then resolved).
    const pushedIds = new Set(pushedRows(observed.bodies).map((row) => (row as { newDocumentState: { id: string } }).newDocumentState.id));
    expect([...pushedIds].sort()).toEqual([top.id, created].sort());
  });

  it('misses no server write made after the checkpoint, while the pages are read', async () => {
    const actions = Array.from({ length: 40 }, (_, index) => action(index));
    await seed('brainActions', actions);
    const store = await openSyncedStore();
    const observed = observedFetch((path, body) => path.endsWith('/first-sync') && body['step'] === 'page');
    const replication = sync(store, { url: server.url, token, pullBatchSize: 10, fetch: observed.fetch });
    await observed.holding;
    // After the checkpoint, before any page: a new action, an edit and a delete on the server.
    const late = action(3);
    await seed('brainActions', [late]);
    await server.sql.query(`UPDATE brain_store_documents SET doc = jsonb_set(doc, '{reason}', '"edited on the server"') WHERE id = $1`, [
      actions[0]!.id,
    ]);
    await server.sql.query(`UPDATE brain_store_documents SET deleted = true WHERE id = $1`, [actions[1]!.id]);
    observed.release();
    await doneOf(replication.firstSync$);
    await replication.awaitInSync();
    expect((await store.database.brainActions.findOne(late.id).exec())?.id).toBe(late.id);
    expect((await store.database.brainActions.findOne(actions[0]!.id).exec())?.reason).toBe('edited on the server');
    expect(await store.database.brainActions.findOne(actions[1]!.id).exec()).toBeNull();
    expect(await store.database.brainActions.count().exec()).toBe(40);
    expect(pushedRows(observed.bodies)).toEqual([]);
  });

  it('continues after a restart in the middle from where it stopped, and skips a store that has history', async () => {
    const actions = Array.from({ length: 50 }, (_, index) => action(index));
    await seed('brainActions', actions);
    const first = await openSyncedStore();
    const observed = observedFetch((path, body) => path.endsWith('/first-sync') && body['part'] === 'rest' && body['after'] !== null);
    const replication = sync(first, { url: server.url, token, pullBatchSize: 10, fetch: observed.fetch });
    await observed.holding;
    await replication.cancel();
    await first.close();
    observed.release();

    const again = await openSyncedStore({ idb: first.idb, name: first.storeName });
    const resumed = observedFetch();
    const second = sync(again, { url: server.url, token, pullBatchSize: 10, fetch: resumed.fetch });
    const progress = await doneOf(second.firstSync$);
    expect(progress.collections['brainActions']).toMatchObject({ received: 50, total: 50, state: 'done' });
    await second.awaitInSync();
    expect(await again.database.brainActions.count().exec()).toBe(50);
    // (A begin with `since` is the pull's question whether a resync is due, not a new first sync.)
    const steps = resumed.bodies
      .filter((entry) => entry.path.endsWith('/first-sync') && entry.body['since'] === undefined)
      .map((entry) => entry.body['step']);
    expect(steps).not.toContain('begin');
    expect(pushedRows(resumed.bodies)).toEqual([]);
    await second.cancel();
    await again.close();

    // A third start: the collection has history, RxDB's replication simply continues.
    const third = await openSyncedStore({ idb: first.idb, name: first.storeName });
    const later = observedFetch();
    const replication3 = sync(third, { url: server.url, token, pullBatchSize: 10, fetch: later.fetch });
    await replication3.awaitInSync();
    expect(later.bodies.filter((entry) => entry.path.endsWith('/first-sync') && entry.body['step'] === 'page')).toEqual([]);
    expect(pushedRows(later.bodies)).toEqual([]);
  });
});
