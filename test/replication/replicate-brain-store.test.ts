import { beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, syncBackends } from '../helpers/sync-server.ts';
import { action, openSyncedStore, switchableFetch, sync, firstMatching } from './sync-fixtures.ts';

const backends = await syncBackends();

let workspaceCounter = 0;
let w1 = '';
let w2 = '';

describe.each(backends)('replicateBrainStore against %s', (backend) => {
  // The server's database is shared by the file: every test works in workspaces of its own.
  beforeEach(() => {
    w1 = `w${++workspaceCounter}-${backend}`;
    w2 = `w${++workspaceCounter}-${backend}`;
  });

  it('carries a write from one store to another live, and back', async () => {
    const server = await startTestServer({ backend });
    const token = await server.token([w1]);
    const a = await openSyncedStore();
    const b = await openSyncedStore();
    const syncA = sync(a, { url: server.url, token });
    const syncB = sync(b, { url: server.url, token });
    await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);

    const seen = firstMatching(b.brainActions.getActionsByPriority({ workspace_id: w1 }).$, (list) => list.length === 1);
    const id = await a.brainActions.createActionRecommendation(action(w1, { priority: 90 }));
    expect((await seen)[0]).toMatchObject({ id, priority: 90, status: 'pending' });

    const dismissed = firstMatching(
      a.brainActions.getActionsByWorkspace({ workspace_id: w1, status: 'dismissed' }).$,
      (l) => l.length === 1,
    );
    await b.brainActions.dismissAction({ action_id: id });
    expect((await dismissed)[0]!.id).toBe(id);
    await server.close();
  });

  it('counts pending writes while offline and delivers them when back, without duplicates', async () => {
    const server = await startTestServer({ backend });
    const net = switchableFetch();
    const a = await openSyncedStore();
    const syncA = sync(a, { url: server.url, token: await server.token([w1]), fetch: net.fetch });
    await syncA.awaitInSync();

    net.online = false;
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await a.brainActions.createActionRecommendation(action(w1, { priority: i })));
    const offline = await firstMatching(syncA.status$, (s) => s.state === 'offline');
    expect(offline.pending).toBe(5);

    net.online = true;
    syncA.resync();
    await syncA.awaitWrite(ids[4]!);
    const idle = await firstMatching(syncA.status$, (s) => s.state === 'idle');
    expect(idle.pending).toBe(0);
    expect(idle.lastSyncedAt).not.toBeNull();

    const b = await openSyncedStore();
    const syncB = sync(b, { url: server.url, token: await server.token([w1]), live: false });
    await syncB.awaitInSync();
    const onB = await b.brainActions.getActionsByWorkspace({ workspace_id: w1, limit: 100 }).exec();
    expect(onB.map((x) => x.id).sort()).toEqual([...ids].sort());
    await server.close();
  });

  it('resolves concurrent terminal edits the same way on both stores (earlier transition wins)', async () => {
    let t = Date.now();
    const clock = () => t;
    // The server shares the test's clock: the stores' clock correction then has nothing to correct.
    const server = await startTestServer({ backend, now: clock });
    const token = await server.token([w1]);
    const a = await openSyncedStore({ now: clock });
    const b = await openSyncedStore({ now: clock });
    const netA = switchableFetch();
    const netB = switchableFetch();
    const syncA = sync(a, { url: server.url, token, fetch: netA.fetch });
    const syncB = sync(b, { url: server.url, token, fetch: netB.fetch });
    const id = await a.brainActions.createActionRecommendation(action(w1));
    await syncA.awaitWrite(id);
    await firstMatching(b.brainActions.getActionsByPriority({ workspace_id: w1 }).$, (l) => l.length === 1);

    netA.online = false;
    netB.online = false;
    t += 10;
    await b.brainActions.dismissAction({ action_id: id }); // earlier
    t += 10;
    await a.brainActions.markActionActioned({ action_id: id, actioned_by: 'ann' }); // later
    netA.online = true;
    syncA.resync();
    await syncA.awaitInSync();
    netB.online = true;
    syncB.resync();
    await syncB.awaitInSync();
    syncA.resync();
    await syncA.awaitInSync();

    const onA = await a.brainActions.getActionsByWorkspace({ workspace_id: w1, status: 'dismissed' }).exec();
    const onB = await b.brainActions.getActionsByWorkspace({ workspace_id: w1, status: 'dismissed' }).exec();
    expect(onA.map((x) => x.id)).toEqual([id]);
    expect(onB).toEqual(onA);
    await server.close();
  });

  it('keeps a write the server refuses in rejected$, reverts it locally, and keeps syncing', async () => {
    const server = await startTestServer({ backend });
    const a = await openSyncedStore();
    const syncA = sync(a, { url: server.url, token: await server.token([w1]) });
    await syncA.awaitInSync();

    const foreign = await a.brainActions.createActionRecommendation(action(w2));
    const rejected = await firstMatching(syncA.rejected$, (list) => list.length === 1);
    expect(rejected[0]).toMatchObject({ collection: 'brainActions', code: 'FORBIDDEN_WORKSPACE', document: { id: foreign } });
    await firstMatching(a.brainActions.getActionsByPriority({ workspace_id: w2 }).$, (list) => list.length === 0);

    const ok = await a.brainActions.createActionRecommendation(action(w1));
    await syncA.awaitWrite(ok);
    expect((await firstMatching(syncA.status$, (s) => s.pending === 0)).pending).toBe(0);
    await server.close();
  });

  it('resumes from its checkpoint after a restart and pushes writes made before it', async () => {
    const server = await startTestServer({ backend });
    const token = await server.token([w1]);
    const a = await openSyncedStore();
    const net = switchableFetch();
    const first = sync(a, { url: server.url, token, fetch: net.fetch });
    await first.awaitInSync();
    net.online = false;
    const id = await a.brainActions.createActionRecommendation(action(w1));
    await a.close();

    const reopened = await openSyncedStore({ idb: a.idb, name: a.storeName });
    const second = sync(reopened, { url: server.url, token });
    await second.awaitWrite(id);
    await second.awaitInSync();

    const b = await openSyncedStore();
    const syncB = sync(b, { url: server.url, token, live: false });
    await syncB.awaitInSync();
    expect((await b.brainActions.getActionsByPriority({ workspace_id: w1 }).exec()).map((x) => x.id)).toEqual([id]);
    await server.close();
  });
});
