import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, expect, it } from 'vitest';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { startSyncServer, type SyncServer } from '../../../src/server/start-sync-server.ts';
import type { BrainStore } from '../../../src/index.ts';
import { POSTGRES_URL, describeOnPostgres } from '../../helpers/sync-server.ts';
import { action, openSyncedStore, sync } from '../../replication/sync-fixtures.ts';
import { action as wireAction, client } from '../fixtures.ts';

const secret = randomBytes(24).toString('hex');
const suffix = randomBytes(5).toString('hex');
const seedName = `brain_store_test_seed_${suffix}`;
const liveName = `brain_store_test_live_${suffix}`;

async function admin(sql: string): Promise<void> {
  const connection = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await connection.connect();
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

function start(database: string, port = 0): Promise<SyncServer> {
  return startSyncServer({ authSecret: secret, databaseUrl: `${POSTGRES_URL}/${database}`, port, logLevel: 'silent', expiryIntervalMs: 0 });
}

function arrives(store: BrainStore, ws: string, id: string): Promise<unknown> {
  return firstValueFrom(
    store.brainActions.getActionsByWorkspace({ workspace_id: ws }).$.pipe(
      filter((list) => list.some((doc) => doc.id === id)),
      timeout(15_000),
    ),
  );
}

/**
 * Issue 10 item 5: a checkpoint names its database. The database under a live client is
 * replaced by another one (here a copy of an older database, as a restored backup would
 * be): its rows carry transaction ids the client's checkpoint already counts as seen. The
 * client must pull them anyway — from the start — and keep its unsynced local writes.
 */
await describeOnPostgres('a checkpoint of another database (issue 10)', () => {
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${liveName} WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS ${seedName} WITH (FORCE)`);
  });

  it('a client whose database was recreated under it pulls from the start and keeps its unsynced writes', async () => {
    const ws = 'restored';
    const token = await createAccessToken({ secret, workspaces: [ws], ttlSeconds: 3_600, role: 'bot', subject: 'bot' });
    // The "backup": an older database holding a document the client will never have seen.
    await admin(`CREATE DATABASE ${seedName}`);
    const seedServer = await start(seedName);
    const old = wireAction(ws, { created_at: Date.now() });
    expect((await client(seedServer.url, token).push('brainActions', [{ newDocumentState: old }])).status).toBe(200);
    await seedServer.close();

    // The live database, written later (higher transaction ids), with a live client.
    await admin(`CREATE DATABASE ${liveName}`);
    let server = await start(liveName);
    const port = Number(new URL(server.url).port);
    const store = await openSyncedStore();
    const replication = sync(store, { url: server.url, token });
    const synced = await store.brainActions.createActionRecommendation(action(ws));
    await replication.awaitWrite(synced);
    await replication.awaitInSync();

    // Replace the database while the client keeps running; it writes meanwhile (offline).
    await server.close();
    const offline = await store.brainActions.createActionRecommendation(action(ws));
    await admin(`DROP DATABASE ${liveName} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${liveName} TEMPLATE ${seedName}`);
    server = await start(liveName, port);
    try {
      // The stream reconnects, RESYNC, pull with the old checkpoint: another database, so from the start.
      await arrives(store, ws, old.id);
      await replication.awaitWrite(offline);
      await replication.awaitInSync();
      const onServer = await client(server.url, token).pullAll('brainActions');
      expect(onServer.documents.map((doc) => doc.id).sort()).toEqual([old.id, offline].sort());
      // Locally: the restored database's document, the unsynced write, and what the client had.
      const local = await store.brainActions.getActionsByWorkspace({ workspace_id: ws }).exec();
      expect(local.map((doc) => doc.id).sort()).toEqual([old.id, synced, offline].sort());
    } finally {
      await replication.cancel();
      await server.close();
    }
  });
});
