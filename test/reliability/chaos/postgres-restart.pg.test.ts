import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { describeOnPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from '../../helpers/private-postgres.ts';
import { startServerProcess, urlOf, type ServerProcess } from '../../../harness/server-process.ts';
import { action, openSyncedStore, sync, firstMatching } from '../../replication/sync-fixtures.ts';
import { action as wireAction, client, openStream } from '../../server/fixtures.ts';

/**
 * Issue 11 §2: PostgreSQL itself restarted during live sync — a clean restart
 * (`pg_ctl -m fast`) and a crash (`-m immediate`, recovery from the WAL on start). The
 * machine's cluster is shared, so the test runs its own (`test/helpers/private-postgres.ts`).
 * Two real server processes on it; store A syncs through one, store B through the other, so
 * a write reaches the other store only through PostgreSQL's NOTIFY and the servers' LISTEN
 * connections. A bare protocol client pushes too and keeps the list of what was answered 200.
 *
 * Asserted: both server processes survive; each server's LISTEN connection comes back and
 * its open streams get RESYNC; every write of both stores reaches the other store and the
 * server; every push answered 200 is stored (also across the crash), each row exactly once.
 */
const WRITES = 24;
const secret = randomBytes(24).toString('hex');

describeOnPrivatePostgres('PostgreSQL restarted during live sync (private cluster)', () => {
  let cluster: PrivatePostgres;
  let sql: pg.Pool;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    const url = await cluster.createDatabase('brain_store_chaos');
    for (let i = 0; i < 2; i++) servers.push(await startServerProcess({ AUTH_SECRET: secret, DATABASE_URL: url }));
    sql = new pg.Pool({ connectionString: url, max: 2 });
    sql.on('error', () => undefined); // idle clients die with each restart
  }, 60_000);
  afterAll(async () => {
    for (const server of servers) await server.kill();
    await sql?.end();
    await cluster?.destroy();
  });

  const stored = async (ws: string) =>
    (await sql.query<{ id: string }>('SELECT id FROM brain_store_documents WHERE workspace_id = $1 ORDER BY id', [ws])).rows.map(
      (row) => row.id,
    );

  it.each(['fast', 'immediate'] as const)(
    'a %s restart mid-sync: servers survive, streams RESYNC, both stores and the server converge, every acknowledged push stored once',
    async (mode) => {
      const ws = `restart-${mode}`;
      const token = await createAccessToken({ secret, workspaces: [ws], ttlSeconds: 3_600, role: 'bot' });
      const [one, two] = servers.map(urlOf) as [string, string];
      const streams = await Promise.all([openStream(one, 'brainActions', token), openStream(two, 'brainActions', token)]);
      for (const stream of streams) await stream.next('RESYNC');

      const a = await openSyncedStore();
      const b = await openSyncedStore();
      const syncA = sync(a, { url: one, token, collections: ['brainActions'] });
      const syncB = sync(b, { url: two, token, collections: ['brainActions'] });
      await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);

      // The bare client: 3-row pushes through server one, each retried until answered 200.
      const acknowledged: string[] = [];
      const statuses = new Map<number | string, number>();
      let writing = true;
      // Its own workspace: the stores' queries read at most 100 documents.
      const bareWs = `${ws}-bare`;
      const bare = client(one, await createAccessToken({ secret, workspaces: [bareWs], ttlSeconds: 3_600, role: 'bot' }));
      const pusher = (async () => {
        while (writing) {
          const rows = Array.from({ length: 3 }, () => ({ newDocumentState: wireAction(bareWs, { created_at: Date.now() }) }));
          for (;;) {
            const status = await bare.push('brainActions', rows).then(
              (response) => response.status,
              (error: unknown) => `network: ${String(error)}`,
            );
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === 200) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          acknowledged.push(...rows.map((row) => String(row.newDocumentState['id'])));
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();

      const writes: Promise<string>[] = [];
      let restarted: Promise<void> | undefined;
      for (let i = 0; i < WRITES; i++) {
        writes.push((i % 2 ? a : b).brainActions.createActionRecommendation(action(ws)));
        // Not awaited: the stores keep writing while PostgreSQL is down.
        if (i === WRITES / 3) restarted = cluster.restart(mode);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      await restarted;
      // Each server's LISTEN connection reconnected and told its streams to RESYNC.
      for (const stream of streams) await stream.next('RESYNC', 20_000);
      writing = false;
      await pusher;
      const ids = (await Promise.all(writes)).sort();

      for (const store of [a, b]) {
        await firstMatching(
          store.brainActions.getActionsByWorkspace({ workspace_id: ws, limit: 100 }).$,
          (list) => list.length >= ids.length,
        );
      }
      await Promise.all([syncA.awaitInSync(), syncB.awaitInSync()]);
      const [onA, onB] = await Promise.all(
        [a, b].map(async (store) =>
          (await store.brainActions.getActionsByWorkspace({ workspace_id: ws, limit: 100 }).exec()).map((doc) => doc.id).sort(),
        ),
      );
      expect(onA).toEqual(ids);
      expect(onB).toEqual(ids);
      expect(await stored(ws)).toEqual(ids);
      // Every push answered 200 is stored, each row once (a retried push whose first attempt committed included).
      expect(await stored(bareWs)).toEqual([...acknowledged].sort());
      for (const server of servers) expect(server.child.exitCode).toBeNull();
      // The fault did hit the bare client: some pushes failed while PostgreSQL was down.
      expect([...statuses.keys()].some((status) => status !== 200)).toBe(true);
      console.info(
        `[chaos] PostgreSQL ${mode} restart: ${ids.length} store writes, ${acknowledged.length} rows acknowledged to the bare client, push answers ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      await Promise.all([syncA.cancel(), syncB.cancel(), ...streams.map((stream) => stream.close())]);
    },
    60_000,
  );
});
