import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { getAllCollectionDocuments } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBrainStore, replicateBrainStore, type BrainStore, type BrainSync } from '../../src/index.ts';
import { getRxStorageSQLite } from '../../src/node/index.ts';
import { restoreIndexedDB, type IndexedDBDump } from '../fixtures/previous-release/indexeddb-dump.ts';
import { seedPreviousServer } from '../fixtures/previous-release/seed-server.ts';
import { FIXTURE_URL, MANIFEST, WORKSPACE, type Manifest } from '../fixtures/previous-release/manifest.ts';
import { scratchDir } from '../helpers/storages.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';

/**
 * Issue 20: stores written by the previous release (test/fixtures/previous-release, made by
 * generate.ts with that release's code) open in this one — RxDB migrates brainActions from
 * schema version 0 to 1 — and their local writes that never reached the server are pushed
 * to a server of this release holding what the previous one stored (version-0 documents).
 * Nothing is lost and nothing is rejected.
 */
const fixtures = join(import.meta.dirname, '../fixtures/previous-release');
const manifest = JSON.parse(readFileSync(join(fixtures, MANIFEST), 'utf8')) as Manifest;
const started = Date.now();
/** The stores and the server go on from the generator's last instant. */
const clock = () => manifest.clockEnd + (Date.now() - started);

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ backend: 'pglite', now: clock });
}, 120_000);
afterAll(() => server.close());

async function seedServer(): Promise<void> {
  await server.reset();
  await seedPreviousServer(server.sql, manifest);
}

/** Replicates with the URL the fixture stores knew (their replication state is keyed by it); requests go to `server`. */
function replicate(store: BrainStore, token: string): BrainSync {
  const fetchVia = (input: string, init?: RequestInit) => fetch(input.replace(FIXTURE_URL, server.url), init);
  return replicateBrainStore(store, { url: FIXTURE_URL, token, fetch: fetchVia, retryTime: 50 });
}

async function serverDoc(id: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await server.sql.query<{ doc: Record<string, unknown> }>('SELECT doc FROM brain_store_documents WHERE id = $1', [id]);
  return row?.doc;
}

async function expectMigrated(store: BrainStore): Promise<void> {
  expect(store.database.brainActions.schema.version).toBe(1);
  // The version-0 collection is gone once migrated: only version 1 is stored.
  const stored = await getAllCollectionDocuments(store.database.internalStore);
  expect(stored.filter((doc) => doc.data.name === 'brainActions').map((doc) => doc.data.version)).toEqual([1]);
  const actions = await store.database.brainActions.find().exec();
  expect(actions.length).toBeGreaterThan(0);
  for (const action of actions) expect(action.snoozed_until).toBe(0);
}

describe('stores of the previous release (issue 20)', () => {
  it('the bot’s SQLite file opens migrated and pushes its offline writes', { timeout: 60_000 }, async () => {
    await seedServer();
    const path = join(scratchDir(), 'bot.sqlite');
    copyFileSync(join(fixtures, 'bot.sqlite'), path);
    const bot = await createBrainStore({ name: manifest.bot.name, storage: getRxStorageSQLite({ path }), now: clock });
    open.push(bot);
    await expectMigrated(bot);
    const { synced, offline } = manifest.bot;
    const queue = await bot.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).exec();
    expect(queue.map((action) => action.id)).toEqual([synced.a1, offline.a4, synced.a2]);
    expect(await serverDoc(offline.a4)).toBeUndefined();

    const sync = replicate(bot, await server.token([WORKSPACE]));
    await sync.awaitInSync();
    expect(await serverDoc(offline.a4)).toMatchObject({ status: 'pending', priority: 75, snoozed_until: 0 });
    expect(await serverDoc(offline.s2)).toMatchObject({ summary_text: 'Written offline' });
    expect(await serverDoc(manifest.bot.dismissedOffline)).toMatchObject({ status: 'dismissed', snoozed_until: 0 });
    const status = await new Promise<{ pending: number }>((resolve) => sync.status$.subscribe((s) => s.pending === 0 && resolve(s)));
    expect(status.pending).toBe(0);
    expect(await new Promise((resolve) => sync.rejected$.subscribe((list) => resolve(list.length)))).toBe(0);
    // The new release's features work on the migrated store.
    await bot.brainActions.snoozeAction({ action_id: synced.a1, until: clock() + 60_000 });
    await sync.awaitInSync();
    expect(await serverDoc(synced.a1)).toMatchObject({ snoozed_until: expect.any(Number), snoozed_at: expect.any(Number) });
  });

  it('the member dashboard’s IndexedDB opens migrated and pushes its offline transitions', { timeout: 60_000 }, async () => {
    await seedServer();
    const dump = JSON.parse(readFileSync(join(fixtures, 'dashboard-indexeddb.json'), 'utf8')) as IndexedDBDump;
    const idb = new IDBFactory();
    await restoreIndexedDB(dump, idb);
    const { name, subject, actionedOffline, dismissedOffline } = manifest.dashboard;
    const dana = await createBrainStore({
      name,
      storage: getRxStorageDexie({ indexedDB: idb, IDBKeyRange }),
      now: clock,
      role: 'member',
      subject,
      multiInstance: false,
    });
    open.push(dana);
    await expectMigrated(dana);
    expect(await dana.brainActions.getActionsByWorkspace({ workspace_id: WORKSPACE, status: 'actioned' }).exec()).toMatchObject([
      { id: actionedOffline, actioned_by: subject },
    ]);
    expect(await serverDoc(actionedOffline)).toMatchObject({ status: 'pending' });

    const sync = replicate(dana, await server.token([WORKSPACE], 3_600, { role: 'member', subject }));
    await sync.awaitInSync();
    expect(await serverDoc(actionedOffline)).toMatchObject({ status: 'actioned', actioned_by: subject, snoozed_until: 0 });
    expect(await serverDoc(dismissedOffline)).toMatchObject({ status: 'dismissed', snoozed_until: 0 });
    expect(await new Promise((resolve) => sync.rejected$.subscribe((list) => resolve(list.length)))).toBe(0);
    // It pulled what it had not seen (the bot's third action) in the new schema version.
    const pending = await dana.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).exec();
    expect(pending.map((action) => action.id)).toEqual([manifest.bot.synced.a3]);
  });
});
