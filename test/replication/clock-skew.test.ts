import { beforeAll, describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { DEFAULT_TIME_ALLOWANCE } from '../../src/collections/write-rules.ts';
import type { WireDocument } from '../../src/protocol/messages.ts';
import { startTestServer, syncBackends, type TestServer } from '../helpers/sync-server.ts';
import { client } from '../server/fixtures.ts';
import { action, openSyncedStore, switchableFetch, sync, firstMatching } from './sync-fixtures.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SKEWS = [
  ['25 h slow', -25 * HOUR],
  ['1 h slow', -HOUR],
  ['1 h fast', HOUR],
  ['25 h fast', 25 * HOUR],
] as const;
/** The server accepts pushed times this far from its clock (issue 12.1); our clients must do far better. */
const ALLOWANCE = DEFAULT_TIME_ALLOWANCE.skewMs;

let counter = 0;

/** The server's copy of an action (through the pull API, as any client would see it). */
async function serverAction(server: TestServer, token: string, id: string): Promise<WireDocument | undefined> {
  const { documents } = await client(server.url, token).pullAll('brainActions');
  return documents.find((doc) => doc['id'] === id);
}

/**
 * Issue 12 (parts 2 and 3): a device whose clock is wrong by up to a day either way, syncing
 * with a correct server, expires nothing early, keeps nothing past its expiry, and dates its
 * writes by the server's clock. Every clock is a variable the test moves (the server's `T`,
 * the device's `T + skew`), so the offset a device learns is exact and the instants are sharp.
 */
describe.each(await syncBackends())('a skewed client against a correct server on %s (issue 12)', (backend) => {
  // Opening the file's database (PGlite takes seconds on a busy machine) is not part of any test.
  beforeAll(async () => {
    await (await startTestServer({ backend })).close();
  }, 120_000);

  it.each(SKEWS)('a device %s expires nothing early and nothing late, and dates writes by the server', async (_label, skew) => {
    const ws = `skew-${backend}-${++counter}`;
    let T = Date.now();
    const server = await startTestServer({ backend, now: () => T });
    const token = await server.token([ws], 3 * 24 * 3600);
    const bot = await openSyncedStore({ now: () => T });
    const device = await openSyncedStore({ now: () => T + skew });
    const botSync = sync(bot, { url: server.url, token });
    const deviceSync = sync(device, { url: server.url, token });

    // The device learns the offset from the first response; its store's clock reads the server's.
    expect(await firstMatching(deviceSync.clockOffset$, (offset) => offset !== null)).toBe(-skew);
    expect(device.now()).toBe(T);
    expect(device.clock.base()).toBe(T + skew);

    const fromBot = await bot.brainActions.createActionRecommendation(action(ws));
    await botSync.awaitWrite(fromBot);
    const ownId = await device.brainActions.createActionRecommendation(action(ws));
    await deviceSync.awaitWrite(ownId);
    const own = await serverAction(server, token, ownId);
    // Default timestamps by the server's clock: the server accepted them, and they are exact.
    expect(own).toMatchObject({ created_at: T, expires_at: T + DAY, status: 'pending' });
    const pending = await firstMatching(device.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 2);
    expect(pending.map((a) => a.expires_at)).toEqual([T + DAY, T + DAY]);

    // Nothing is due yet by the server's clock: the device's cleanup leaves both alone.
    expect(await device.brainActions.cleanupExpiredActions()).toBe(0);
    T += DAY - 1;
    expect(await device.brainActions.cleanupExpiredActions()).toBe(0);
    expect(await device.brainActions.getActionsByPriority({ workspace_id: ws }).exec()).toHaveLength(2);

    // At the server's expiry instant the device expires both, deterministically, and the server takes it.
    T += 1;
    expect(await device.brainActions.getActionsByPriority({ workspace_id: ws }).exec()).toHaveLength(0);
    expect(await device.brainActions.cleanupExpiredActions()).toBe(2);
    deviceSync.resync();
    await deviceSync.awaitInSync();
    for (const id of [fromBot, ownId]) {
      const doc = await serverAction(server, token, id);
      expect(doc).toMatchObject({ status: 'expired', status_at: doc?.['expires_at'] });
      // Never early; never later than the allowance (here: exactly on time).
      expect(T - (doc?.['expires_at'] as number)).toBeGreaterThanOrEqual(0);
      expect(T - (doc?.['expires_at'] as number)).toBeLessThanOrEqual(ALLOWANCE);
    }
    expect(await firstMatching(deviceSync.rejected$, () => true)).toEqual([]);
    await server.close();
  });

  it('without correction a 25 h fast device would expire a fresh action at once (the mechanism matters)', async () => {
    const ws = `skew-off-${backend}-${++counter}`;
    const T = Date.now();
    const server = await startTestServer({ backend, now: () => T });
    const token = await server.token([ws], 3 * 24 * 3600);
    const bot = await openSyncedStore({ now: () => T });
    const device = await openSyncedStore({ now: () => T + 25 * HOUR });
    const botSync = sync(bot, { url: server.url, token });
    const deviceSync = sync(device, { url: server.url, token, correctClock: false });
    const id = await bot.brainActions.createActionRecommendation(action(ws));
    await botSync.awaitWrite(id);
    // (Its reads already hide the action: by its clock it expired an hour ago.)
    await firstMatching(device.database.brainActions.findOne(id).$, (doc) => doc !== null);
    expect(await firstMatching(deviceSync.clockOffset$, (offset) => offset !== null)).toBe(-25 * HOUR);
    expect(device.now()).toBe(T + 25 * HOUR);
    expect(await device.brainActions.cleanupExpiredActions()).toBe(1);
    await server.close();
  });

  it('an offline device keeps the last known offset, also after a restart', async () => {
    const ws = `skew-offline-${backend}-${++counter}`;
    const skew = 25 * HOUR;
    let T = Date.now();
    const server = await startTestServer({ backend, now: () => T });
    const token = await server.token([ws], 3 * 24 * 3600);
    const network = switchableFetch();
    const idb = new IDBFactory();
    const first = await openSyncedStore({ idb, name: `offline-${counter}`, now: () => T + skew });
    const firstSync = sync(first, { url: server.url, token, fetch: network.fetch });
    expect(await firstMatching(firstSync.clockOffset$, (offset) => offset !== null)).toBe(-skew);

    network.online = false;
    T += HOUR;
    const id = await first.brainActions.createActionRecommendation(action(ws));
    expect(first.now()).toBe(T);
    await first.close();

    // Reopened offline: the stored offset applies before any response, and sync reports it.
    const second = await openSyncedStore({ idb, name: `offline-${counter}`, now: () => T + skew });
    expect(second.now()).toBe(T);
    const secondSync = sync(second, { url: server.url, token, fetch: network.fetch });
    expect(await firstMatching(secondSync.clockOffset$, (offset) => offset !== null)).toBe(-skew);
    T += DAY - HOUR - 1;
    expect(await second.brainActions.cleanupExpiredActions()).toBe(0);
    T += HOUR + 1;
    expect(await second.brainActions.cleanupExpiredActions()).toBe(1);

    network.online = true;
    secondSync.resync();
    await secondSync.awaitWrite(id);
    expect(await serverAction(server, token, id)).toMatchObject({ status: 'expired', created_at: T - DAY });
    await server.close();
  });
});
