import { beforeEach, describe, expect, it } from 'vitest';
import { describeOnPostgres, startTestServer, syncBackends } from '../helpers/sync-server.ts';
import { insightArgs } from '../queries/fixtures.ts';
import { action, openSyncedStore, sync, firstMatching } from './sync-fixtures.ts';

const backends = await syncBackends();
let counter = 0;
let ws = '';

describe.each(backends)('sync edge cases against %s', (backend) => {
  beforeEach(() => {
    ws = `edge-${++counter}-${backend}`;
  });

  it('loses no queued write when the token expires and getToken hands out a fresh one', async () => {
    let serverTime = Date.now();
    const server = await startTestServer({ backend, now: () => serverTime });
    let token = await server.token([ws], 60);
    serverTime += 120_000; // the token has expired
    let asked = 0;
    const a = await openSyncedStore();
    const syncA = sync(a, {
      url: server.url,
      getToken: () => {
        asked += 1;
        return token;
      },
    });
    const id = await a.brainActions.createActionRecommendation(action(ws));
    // One typed state for the refused token (issue 17), the write kept meanwhile.
    const failing = await firstMatching(syncA.status$, (s) => s.state === 'unauthorized');
    expect(failing.error?.code).toBe('UNAUTHORIZED');
    expect(failing.tokenProblem).toBe('expired');
    expect(failing.pending).toBe(1);

    token = await server.token([ws]);
    await syncA.awaitWrite(id);
    expect(asked).toBeGreaterThan(1);
    expect((await firstMatching(syncA.status$, (s) => s.state === 'idle')).pending).toBe(0);
    await server.close();
  });

  it.each([
    ['batchSize - 1', 9],
    ['exactly batchSize', 10],
    ['batchSize + 1', 11],
    ['one bulk write of 2.5 batches', 25],
  ])('pushes and pulls %s documents completely', async (_label, count) => {
    const server = await startTestServer({ backend });
    const token = await server.token([ws]);
    const a = await openSyncedStore();
    const syncA = sync(a, { url: server.url, token, batchSize: 10, pullBatchSize: 10 });
    await a.brainInsights.bulkCreateInsights({
      insights: Array.from({ length: count }, (_, i) => insightArgs({ workspace_id: ws, pattern: `pattern ${i}`, frequency: i })),
    });
    await syncA.awaitInSync();

    const b = await openSyncedStore();
    const syncB = sync(b, { url: server.url, token, batchSize: 10, pullBatchSize: 10, live: false });
    await syncB.awaitInSync();
    const pulled = await b.brainInsights.getInsightsByWorkspace({ workspace_id: ws, limit: 100 }).exec();
    expect(pulled).toHaveLength(count);
    expect(new Set(pulled.map((insight) => insight.id)).size).toBe(count);
    await server.close();
  });
});

await describeOnPostgres('two server instances over one PostgreSQL', () => {
  it('carries a write from a client of one instance to a client of the other, live', async () => {
    ws = `two-instances-${++counter}`;
    const one = await startTestServer({ backend: 'postgres' });
    const two = await startTestServer({ backend: 'postgres' });
    const a = await openSyncedStore();
    const b = await openSyncedStore();
    const syncA = sync(a, { url: one.url, token: await one.token([ws]) });
    const syncB = sync(b, { url: two.url, token: await two.token([ws]) });
    await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);

    const arrived = firstMatching(b.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 1);
    const id = await a.brainActions.createActionRecommendation(action(ws, { priority: 77 }));
    expect((await arrived)[0]).toMatchObject({ id, priority: 77 });

    const back = firstMatching(
      a.brainActions.getActionsByWorkspace({ workspace_id: ws, status: 'actioned' }).$,
      (list) => list.length === 1,
    );
    await b.brainActions.markActionActioned({ action_id: id, actioned_by: 'bea' });
    expect((await back)[0]).toMatchObject({ id, actioned_by: 'bea' });
    await Promise.all([one.close(), two.close()]);
  });
});

describe('retention and sync', () => {
  it('does not push the deletes of a local retention purge (regression for #4: no flood of deletes)', async () => {
    const { startExpiryCleanup } = await import('../../src/index.ts');
    ws = `retention-${++counter}`;
    let t = Date.now();
    const server = await startTestServer({ backend: 'pglite' });
    const a = await openSyncedStore({ now: () => t });
    // Only the client's clock moves on (the server's is real): keep it uncorrected by the server's.
    const syncA = sync(a, { url: server.url, token: await server.token([ws]), correctClock: false });
    const id = await a.brainActions.createActionRecommendation(action(ws));
    await a.brainActions.markActionActioned({ action_id: id, actioned_by: 'ann' });
    await syncA.awaitWrite(id);

    t += 8 * 86_400_000; // past the 7-day retention of terminal actions
    const purged = new Promise<number>((resolve) => {
      const cleanup = startExpiryCleanup(a, {
        onRun: (report) => {
          cleanup.unsubscribe();
          resolve(report.purged.brainActions);
        },
      });
    });
    expect(await purged).toBe(1);
    await syncA.awaitInSync();
    const rows = await server.sql.query<{ deleted: boolean; status: string }>(
      `SELECT deleted, doc->>'status' AS status FROM brain_store_documents WHERE id = $1`,
      [id],
    );
    expect(rows).toEqual([{ deleted: false, status: 'actioned' }]);
    expect((await firstMatching(syncA.status$, (s) => s.pending === 0)).pending).toBe(0);
    await server.close();
  });
});

describe('echo suppression', () => {
  it('does not make a client pull its own writes back, while other clients are poked', async () => {
    ws = `echo-${++counter}`;
    const server = await startTestServer({ backend: 'pglite' });
    const token = await server.token([ws]);
    const pulls = { a: 0 };
    const countingFetch: typeof fetch = (input, init) => {
      if ((input instanceof Request ? input.url : input.toString()).endsWith('/brainActions/pull')) pulls.a += 1;
      return fetch(input, init);
    };
    const a = await openSyncedStore();
    const b = await openSyncedStore();
    const syncA = sync(a, { url: server.url, token, fetch: countingFetch, collections: ['brainActions'] });
    const syncB = sync(b, { url: server.url, token, collections: ['brainActions'] });
    await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);
    // Let the streams' initial RESYNC pulls settle before counting.
    await firstMatching(syncA.status$, (s) => s.state === 'idle');
    const before = pulls.a;

    const arrived = firstMatching(b.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 3);
    for (let i = 0; i < 3; i++) {
      const id = await a.brainActions.createActionRecommendation(action(ws, { priority: i }));
      await syncA.awaitWrite(id);
    }
    await arrived;
    expect(pulls.a - before).toBe(0);
    await server.close();
  });
});

describe('interleavings', () => {
  it('a client killed after the server committed its push resends on reopen without a duplicate', async () => {
    ws = `killed-${++counter}`;
    const server = await startTestServer({ backend: 'pglite' });
    const token = await server.token([ws]);
    let committed!: () => void;
    const pushCommitted = new Promise<void>((resolve) => (committed = resolve));
    // The push reaches the server and commits, but the answer never arrives: the process "dies".
    const dyingFetch: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      if (!url.endsWith('/brainActions/push')) return fetch(input, init);
      await fetch(input, init);
      committed();
      return new Promise<Response>(() => undefined);
    };
    const a = await openSyncedStore();
    sync(a, { url: server.url, token, fetch: dyingFetch, collections: ['brainActions'] });
    const id = await a.brainActions.createActionRecommendation(action(ws));
    await pushCommitted;
    await a.close();

    const reopened = await openSyncedStore({ idb: a.idb, name: a.storeName });
    const again = sync(reopened, { url: server.url, token, collections: ['brainActions'] });
    await again.awaitWrite(id);
    await again.awaitInSync();
    const rows = await server.sql.query<{ id: string }>('SELECT id FROM brain_store_documents WHERE workspace_id = $1', [ws]);
    expect(rows.map((row) => row.id)).toEqual([id]);
    expect((await firstMatching(again.status$, (s) => s.state === 'idle')).pending).toBe(0);
    await server.close();
  });

  it('a stream poke arriving while a push is in flight loses nothing on either side', async () => {
    ws = `inflight-${++counter}`;
    const server = await startTestServer({ backend: 'pglite' });
    const token = await server.token([ws]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const pushHeld = new Promise<void>((resolve) => (holding = resolve));
    // A's first push waits at the gate while B's write reaches the server and pokes A's stream
    // (RxDB may hold the resulting pull until the push returns).
    const gatedFetch: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      if (url.endsWith('/brainActions/push')) {
        holding();
        await gate;
      }
      return fetch(input, init);
    };
    const a = await openSyncedStore();
    const b = await openSyncedStore();
    const syncA = sync(a, { url: server.url, token, fetch: gatedFetch, collections: ['brainActions'] });
    const syncB = sync(b, { url: server.url, token, collections: ['brainActions'] });
    await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);

    const fromA = await a.brainActions.createActionRecommendation(action(ws, { contact_id: 'from-a' }));
    await pushHeld;
    const fromB = await b.brainActions.createActionRecommendation(action(ws, { contact_id: 'from-b' }));
    await syncB.awaitWrite(fromB); // the server has poked A's stream while A's push is held
    release();
    await syncA.awaitWrite(fromA);
    const both = (list: readonly { id: string }[]) => [fromA, fromB].every((id) => list.some((x) => x.id === id));
    await firstMatching(b.brainActions.getActionsByPriority({ workspace_id: ws }).$, both);
    await firstMatching(a.brainActions.getActionsByPriority({ workspace_id: ws }).$, both);
    await server.close();
  });
});
