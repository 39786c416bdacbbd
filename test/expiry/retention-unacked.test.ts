import { beforeAll, describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { startExpiryCleanup, type BrainStore, type ExpiryRunReport } from '../../src/index.ts';
import type { WireDocument } from '../../src/protocol/messages.ts';
import { startTestServer, syncBackends, type TestServer } from '../helpers/sync-server.ts';
import { client } from '../server/fixtures.ts';
import { action, openSyncedStore, switchableFetch, sync, firstMatching } from '../replication/sync-fixtures.ts';

const DAY = 86_400_000;
let counter = 0;

async function serverAction(server: TestServer, token: string, id: string): Promise<WireDocument | undefined> {
  const { documents } = await client(server.url, token).pullAll('brainActions');
  return documents.find((doc) => doc['id'] === id);
}

/** Starts the cleanup with frequent runs (real timers, an injected store clock) and collects their reports. */
function runCleanup(store: BrainStore) {
  const reports: ExpiryRunReport[] = [];
  const errors: unknown[] = [];
  const subscription = startExpiryCleanup(store, {
    intervalMs: 50,
    clockCheckMs: 50,
    onRun: (report) => void reports.push(report),
    onError: (error) => void errors.push(error),
  });
  const runsAfter = async (count: number) => {
    const target = reports.length + count;
    for (let i = 0; i < 400 && reports.length < target; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors).toEqual([]);
    expect(reports.length).toBeGreaterThanOrEqual(target);
  };
  return { reports, subscription, runsAfter };
}

/**
 * Issue 11.3: a state reached offline must survive an offline spell longer than the local
 * retention. The purge is a local eviction whose delete never travels upstream, so purging an
 * action actioned offline (status_at a week ago by the time the cleanup runs) used to lose
 * the transition for good: the server kept the action pending. Now the purge waits until the
 * server has acknowledged the document's latest local change. Clocks are variables the test
 * moves (server and client agree, so no clock correction is involved).
 */
describe.each(await syncBackends())('retention never purges an unacknowledged change on %s (issue 11.3)', (backend) => {
  beforeAll(async () => {
    await (await startTestServer({ backend })).close();
  }, 120_000);

  it('an action actioned offline survives eight offline days and reaches the server after reconnect', async () => {
    const ws = `unacked-${backend}-${++counter}`;
    let T = Date.now();
    const server = await startTestServer({ backend, now: () => T });
    const token = await server.token([ws], 30 * 24 * 3600);
    const network = switchableFetch();
    const store = await openSyncedStore({ now: () => T });
    const syncing = sync(store, { url: server.url, token, fetch: network.fetch });
    const id = await store.brainActions.createActionRecommendation(action(ws));
    await syncing.awaitWrite(id);

    network.online = false;
    await store.brainActions.markActionActioned({ action_id: id, actioned_by: 'dana' });
    const actionedAt = T;
    T += 8 * DAY; // past the default 7-day retention of finished actions
    const cleanup = runCleanup(store);
    await cleanup.runsAfter(3);
    expect(cleanup.reports.every((report) => report.purged.brainActions === 0)).toBe(true);
    expect((await store.database.brainActions.findOne(id).exec())?.status).toBe('actioned');

    network.online = true;
    syncing.resync();
    await syncing.awaitWrite(id);
    expect(await serverAction(server, token, id)).toMatchObject({ status: 'actioned', actioned_by: 'dana', status_at: actionedAt });

    // Acknowledged: now the purge may evict it locally — and the server keeps its copy.
    await firstMatching(store.database.brainActions.findOne(id).$, (doc) => doc === null);
    // (The run reports after its purge wrote: wait for the report.)
    for (let i = 0; i < 200 && !cleanup.reports.some((report) => report.purged.brainActions === 1); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(cleanup.reports.some((report) => report.purged.brainActions === 1)).toBe(true);
    await syncing.awaitInSync();
    expect(await serverAction(server, token, id)).toMatchObject({ status: 'actioned', _deleted: false });
    cleanup.subscription.unsubscribe();
    await server.close();
  });

  it('a restart while offline keeps the unpushed change too, even with the cleanup started before the replication', async () => {
    const ws = `unacked-restart-${backend}-${++counter}`;
    let T = Date.now();
    const server = await startTestServer({ backend, now: () => T });
    const token = await server.token([ws], 30 * 24 * 3600);
    const network = switchableFetch();
    const idb = new IDBFactory();
    const name = `unacked-restart-${counter}`;
    const first = await openSyncedStore({ idb, name, now: () => T });
    const firstSync = sync(first, { url: server.url, token, fetch: network.fetch });
    const id = await first.brainActions.createActionRecommendation(action(ws));
    await firstSync.awaitWrite(id);
    network.online = false;
    await first.brainActions.dismissAction({ action_id: id });
    await first.close();

    T += 8 * DAY;
    const second = await openSyncedStore({ idb, name, now: () => T });
    const cleanup = runCleanup(second); // no replication running yet: this database has synced before
    await cleanup.runsAfter(2);
    const secondSync = sync(second, { url: server.url, token, fetch: network.fetch }); // still offline
    await cleanup.runsAfter(3);
    expect(cleanup.reports.every((report) => report.purged.brainActions === 0)).toBe(true);
    expect((await second.database.brainActions.findOne(id).exec())?.status).toBe('dismissed');

    network.online = true;
    secondSync.resync();
    await secondSync.awaitWrite(id);
    expect(await serverAction(server, token, id)).toMatchObject({ status: 'dismissed' });
    await firstMatching(second.database.brainActions.findOne(id).$, (doc) => doc === null);
    cleanup.subscription.unsubscribe();
    await server.close();
  });

  it('a store that never synced purges as before', async () => {
    let T = Date.now();
    const store = await openSyncedStore({ now: () => T });
    const id = await store.brainActions.createActionRecommendation(action(`local-${++counter}`));
    await store.brainActions.dismissAction({ action_id: id });
    T += 8 * DAY;
    const cleanup = runCleanup(store);
    await firstMatching(store.database.brainActions.findOne(id).$, (doc) => doc === null);
    cleanup.subscription.unsubscribe();
  });
});
