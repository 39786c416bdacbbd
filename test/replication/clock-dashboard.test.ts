import { afterEach, describe, expect, it, vi } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, replicateBrainStore, startExpiryCleanup, type BrainStore, type BrainSync } from '../../src/index.ts';
import { SERVER_TIME_HEADER } from '../../src/protocol/server-time.ts';
import { HOUR, T0, actionArgs, flushWithoutTime } from '../queries/fixtures.ts';
import { fakeClock, type FakeClock } from '../helpers/fake-clock.ts';
import { firstMatching } from './sync-fixtures.ts';
import { until } from '../../harness/until.ts';

/** The estimate's own error here: the stub answers at once, at the same fake instant; a margin of 2 ms. */
const ESTIMATE_ERROR_MS = 2;

let counter = 0;
const open: BrainStore[] = [];

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  vi.useRealTimers();
});

/**
 * A server that only tells the time: every request gets a 401 carrying the server-time
 * header, the server's clock being the (faked) Date. The replication fails and waits an hour
 * to retry, but it has read the header — which is all these tests need of a server.
 */
const timeOnlyServer = async (): Promise<Response> =>
  new Response(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'time only' } }), {
    status: 401,
    headers: { 'content-type': 'application/json', [SERVER_TIME_HEADER]: String(Date.now()) },
  });

async function skewedDashboard(skew: number, clock: FakeClock): Promise<BrainStore> {
  const store = await createBrainStore({
    scheduler: clock.scheduler,
    name: `clock-dashboard-${process.pid}-${++counter}`,
    storage: getRxStorageMemory(),
    multiInstance: false,
    now: () => Date.now() + skew,
  });
  open.push(store);
  return store;
}

async function learnOffset(store: BrainStore, clock: FakeClock): Promise<BrainSync> {
  const sync = replicateBrainStore(store, {
    url: 'http://time-only.invalid',
    token: 't',
    fetch: timeOnlyServer,
    retryTime: HOUR,
    scheduler: clock.scheduler,
  });
  await firstMatching(sync.clockOffset$, (offset) => offset !== null);
  return sync;
}

describe('a skewed dashboard shows expiries at the server instant (issue 12, fake timers)', () => {
  it.each([
    ['25 h slow', -25 * HOUR],
    ['1 h slow', -HOUR],
    ['1 h fast', HOUR],
    ['25 h fast', 25 * HOUR],
  ])('a device %s hides an action when the server reaches its expires_at', async (_label, skew) => {
    const clock = fakeClock(T0);
    const store = await skewedDashboard(skew, clock);
    const sync = await learnOffset(store, clock);
    expect(Math.abs(store.now() - Date.now())).toBeLessThanOrEqual(ESTIMATE_ERROR_MS);

    const expiresAt = Date.now() + HOUR; // by the server's clock
    const id = await store.brainActions.createActionRecommendation(actionArgs({ expires_at: expiresAt }));
    const shown: { at: number; ids: string[] }[] = [];
    const subscription = store.brainActions
      .getActionsByPriority({ workspace_id: 'w1' })
      .$.subscribe((list) => shown.push({ at: Date.now(), ids: list.map((a) => a.id) }));
    await until(() => shown.length === 1, 'the first emission of the read');
    expect(shown[0]!.ids).toEqual([id]);

    await clock.advance(expiresAt - ESTIMATE_ERROR_MS - 1 - Date.now());
    await flushWithoutTime();
    expect(shown).toHaveLength(1);
    await clock.advance(2 * ESTIMATE_ERROR_MS + 1);
    await until(() => shown.length === 2, 'the emission without the expired action');
    expect(shown[1]!.ids).toEqual([]);
    // Hidden at the server's instant (an uncorrected device would be off by its whole skew).
    expect(Math.abs(shown[1]!.at - expiresAt)).toBeLessThanOrEqual(ESTIMATE_ERROR_MS);
    subscription.unsubscribe();
    await sync.cancel();
  });

  it('an offset learned while a read waits re-arms it at the server instant', async () => {
    const clock = fakeClock(T0);
    const store = await skewedDashboard(-HOUR, clock); // an hour slow, and it does not know yet
    const expiresAt = T0 + 30 * 60_000; // by the server's clock: 30 min away; by the device's: 90 min
    const id = await store.brainActions.createActionRecommendation(actionArgs({ expires_at: expiresAt }));
    const shown: { at: number; ids: string[] }[] = [];
    const subscription = store.brainActions
      .getActionsByPriority({ workspace_id: 'w1' })
      .$.subscribe((list) => shown.push({ at: Date.now(), ids: list.map((a) => a.id) }));
    await until(() => shown.length === 1, 'the first emission of the read');

    const sync = await learnOffset(store, clock);
    await clock.advance(expiresAt - ESTIMATE_ERROR_MS - 1 - Date.now());
    await flushWithoutTime();
    expect(shown.map((s) => s.ids)).toEqual([[id]]);
    await clock.advance(2 * ESTIMATE_ERROR_MS + 1);
    await until(() => shown.length === 2, 'the emission without the expired action');
    expect(shown[1]!.ids).toEqual([]);
    expect(Math.abs(shown[1]!.at - expiresAt)).toBeLessThanOrEqual(ESTIMATE_ERROR_MS);
    subscription.unsubscribe();
    await sync.cancel();
  });

  it('an offset learned while the expiry cleanup waits re-arms it at the server instant', async () => {
    const clock = fakeClock(T0);
    const store = await skewedDashboard(-HOUR, clock);
    const expiresAt = T0 + 30 * 60_000;
    const id = await store.brainActions.createActionRecommendation(actionArgs({ expires_at: expiresAt }));
    const runs: number[] = [];
    // Clock checks far apart: the jump detector alone would notice the new offset only an hour later.
    const cleanup = startExpiryCleanup(store, {
      scheduler: clock.scheduler,
      intervalMs: 10 * HOUR,
      clockCheckMs: HOUR,
      onRun: (report) => void (report.expired && runs.push(Date.now())),
    });
    await flushWithoutTime();

    const sync = await learnOffset(store, clock);
    await clock.advance(expiresAt - ESTIMATE_ERROR_MS - 1 - Date.now());
    await flushWithoutTime();
    expect(runs).toEqual([]);
    await clock.advance(2 * ESTIMATE_ERROR_MS + 1);
    await until(() => runs.length === 1, 'a cleanup run that expires the action');
    expect(Math.abs(runs[0]! - expiresAt)).toBeLessThanOrEqual(2 * ESTIMATE_ERROR_MS + 1);
    expect((await store.database.brainActions.findOne(id).exec())?.status).toBe('expired');
    cleanup.unsubscribe();
    await sync.cancel();
  });
});
