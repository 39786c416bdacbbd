import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFaultProxy } from '../../../harness/fault-proxy.ts';
import { describeOnPostgres, startTestServer, type TestServer } from '../../helpers/sync-server.ts';
import { action as wireAction, client } from '../../server/fixtures.ts';
import { openSyncedStore, sync, action, firstMatching } from '../../replication/sync-fixtures.ts';

/**
 * Issue 11 §2, the faults between the server, its database and its clients:
 * - the HTTP answer dropped after the push committed: the retry stores each row once;
 * - the server's LISTEN connection killed: clients still learn of changes;
 * - every connection of the server to PostgreSQL killed during live sync (what a database
 *   restart does to the server, without restarting the cluster other tests share): clients
 *   reconnect and converge.
 */
await describeOnPostgres('network and database faults on PostgreSQL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres' });
  });
  afterAll(() => server.close());

  const count = async (ws: string) =>
    Number((await server.sql.query<{ n: string }>('SELECT count(*) AS n FROM brain_store_documents WHERE workspace_id = $1', [ws]))[0]!.n);
  const terminate = (applications: readonly string[]) =>
    server.sql.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = ANY($1) AND pid <> pg_backend_pid()`,
      [applications],
    );

  it('a push whose answer is cut after commit is stored once when retried', async () => {
    const proxy = await startFaultProxy(server.url);
    const token = await server.token(['dropped']);
    const rows = Array.from({ length: 50 }, () => ({ newDocumentState: wireAction('dropped', { created_at: Date.now() }) }));
    proxy.mode = 'dropResponses';
    await expect(client(proxy.url, token).push('brainActions', rows)).rejects.toThrow();
    expect(proxy.cut).toBeGreaterThan(0);
    // The server answers only after COMMIT: the rows are there although the client never heard.
    expect(await count('dropped')).toBe(50);
    proxy.mode = 'pass';
    const retry = await client(proxy.url, token).push('brainActions', rows);
    expect(retry.body).toEqual({ conflicts: [], rejected: [] });
    expect(await count('dropped')).toBe(50);
    await proxy.close();
  });

  it('clients still learn of changes after the LISTEN connection is killed', async () => {
    const ws = 'listen-killed';
    const token = await server.token([ws]);
    const a = await openSyncedStore();
    const b = await openSyncedStore();
    const syncA = sync(a, { url: server.url, token, collections: ['brainActions'] });
    const syncB = sync(b, { url: server.url, token, collections: ['brainActions'] });
    await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);
    const [killed] = await terminate(['brain-store-listen']);
    expect(killed).toBeDefined();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await b.brainActions.createActionRecommendation(action(ws)));
      const seen = await firstMatching(
        a.brainActions.getActionsByWorkspace({ workspace_id: ws, limit: 100 }).$,
        (list) => list.length === ids.length,
      );
      expect(seen.map((doc) => doc.id).sort()).toEqual([...ids].sort());
    }
  });

  it('clients converge after every server connection to PostgreSQL is killed mid-sync', async () => {
    const ws = 'backends-killed';
    const token = await server.token([ws]);
    const a = await openSyncedStore();
    const b = await openSyncedStore();
    const syncA = sync(a, { url: server.url, token, collections: ['brainActions'] });
    const syncB = sync(b, { url: server.url, token, collections: ['brainActions'] });
    await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);
    const writes: Promise<string>[] = [];
    for (let i = 0; i < 20; i++) {
      writes.push((i % 2 ? a : b).brainActions.createActionRecommendation(action(ws)));
      if (i === 5 || i === 12) await terminate(['brain-store', 'brain-store-listen']);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ids = (await Promise.all(writes)).sort();
    for (const store of [a, b]) {
      const seen = await firstMatching(
        store.brainActions.getActionsByWorkspace({ workspace_id: ws, limit: 100 }).$,
        (list) => list.length === ids.length,
      );
      expect(seen.map((doc) => doc.id).sort()).toEqual(ids);
    }
    await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);
    expect(await count(ws)).toBe(ids.length);
  });
});
