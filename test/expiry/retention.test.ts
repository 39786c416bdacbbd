import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { STORAGES } from '../helpers/storages.ts';
import { startExpiryCleanup } from '../../src/expiry/start-expiry-cleanup.ts';
import { purgeByRetention } from '../../src/expiry/purge-by-retention.ts';
import { isPurgedByRetention, isRetentionDelete, resolveRetention } from '../../src/collections/retention.ts';
import { DEFAULT_ACTION_RETENTION_MS } from '../../src/collections/retention-rule.ts';
import { registerReplication } from '../../src/store/unacknowledged-writes.ts';
import { retentionInUse } from '../../src/store/retention-in-use.ts';
import { ACTION_STATUSES } from '../../src/collections/action-status.ts';
import { isBrainStoreError, type BrainStore } from '../../src/index.ts';
import { insightArgs, summaryArgs } from '../queries/fixtures.ts';
import { DAY, T0, actionDoc, cleanupSuite, countReads, recordRuns, settle } from './expiry-fixtures.ts';
import { fakeClock, type FakeClock } from '../helpers/fake-clock.ts';
import { until } from '../../harness/until.ts';

describe('isPurgedByRetention (the rule the push handler and the server share)', () => {
  const week = DEFAULT_ACTION_RETENTION_MS;
  it('purges terminal actions strictly older than the retention, counted from status_at', () => {
    for (const status of ['actioned', 'dismissed', 'expired'] as const) {
      expect(isPurgedByRetention('brainActions', { status, status_at: T0 - week - 1 }, T0)).toBe(true);
      expect(isPurgedByRetention('brainActions', { status, status_at: T0 - week }, T0)).toBe(false);
    }
  });
  it('never purges a pending action, however old', () => {
    expect(isPurgedByRetention('brainActions', { status: 'pending', status_at: 0, created_at: 0 }, T0)).toBe(false);
  });
  it('keeps summaries and insights unless a retention is set for them', () => {
    expect(isPurgedByRetention('brainSummaries', { created_at: 0 }, T0)).toBe(false);
    expect(isPurgedByRetention('brainInsights', { created_at: 0 }, T0)).toBe(false);
    expect(isPurgedByRetention('brainSummaries', { created_at: T0 - 31 * DAY }, T0, { summariesMs: 30 * DAY })).toBe(true);
    expect(isPurgedByRetention('brainInsights', { created_at: T0 - 29 * DAY }, T0, { insightsMs: 30 * DAY })).toBe(false);
  });
  it('Infinity keeps actions forever; a negative duration is a CONFIG error', () => {
    expect(isPurgedByRetention('brainActions', { status: 'expired', status_at: 0 }, T0, { actionsMs: Infinity })).toBe(false);
    expect(() => resolveRetention({ actionsMs: -1 })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(
      isBrainStoreError(
        (() => {
          try {
            resolveRetention({ insightsMs: Number.NaN });
          } catch (e) {
            return e;
          }
        })(),
        'CONFIG',
      ),
    ).toBe(true);
  });
  it('isRetentionDelete: only deletes are dropped from the push; a live old document is pushed', () => {
    const old = { status: 'expired', status_at: T0 - 8 * DAY };
    expect(isRetentionDelete('brainActions', { ...old, _deleted: true }, T0)).toBe(true);
    expect(isRetentionDelete('brainActions', { ...old, _deleted: false }, T0)).toBe(false);
    expect(isRetentionDelete('brainActions', { status: 'expired', status_at: T0 - DAY, _deleted: true }, T0)).toBe(false);
  });
  it('is monotone in now: once purged, purged at every later instant', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ACTION_STATUSES),
        fc.integer({ min: 0, max: 2 * T0 }),
        fc.integer({ min: 0, max: 2 * T0 }),
        fc.integer({ min: 0, max: 60 * DAY }),
        fc.nat({ max: 30 * DAY }),
        (status, status_at, now, actionsMs, later) => {
          const doc = { status, status_at };
          if (isPurgedByRetention('brainActions', doc, now, { actionsMs })) {
            expect(isPurgedByRetention('brainActions', doc, now + later, { actionsMs })).toBe(true);
          }
        },
      ),
    );
  });
});

describe.each(STORAGES)('retention purge on $name', ({ make }) => {
  const { stores } = cleanupSuite(make);

  /** Every kind of action, old and recent, plus old summaries and insights. */
  async function seed(store: BrainStore) {
    const old = T0 - 8 * DAY;
    const recent = T0 - 6 * DAY;
    const docs = [
      actionDoc('pending-old', { created_at: T0 - 30 * DAY, expires_at: T0 + DAY }),
      actionDoc('actioned-old', { created_at: old - DAY, status: 'actioned', status_at: old }),
      actionDoc('dismissed-old', { created_at: old - DAY, status: 'dismissed', status_at: old }),
      actionDoc('expired-old', { created_at: old - DAY, expires_at: old, status: 'expired' }),
      actionDoc('actioned-recent', { created_at: recent - DAY, status: 'actioned', status_at: recent }),
      actionDoc('expired-recent', { created_at: recent - DAY, expires_at: recent, status: 'expired' }),
    ];
    await store.database.brainActions.bulkInsert(docs);
    await store.brainSummaries.createSummary(summaryArgs());
    await store.brainInsights.createInsight(insightArgs());
  }
  /** A store seeded 40 days before T0 (the summary and insight are that old), the clock then at `then`. */
  let clock: FakeClock;
  async function seededStore(then = T0) {
    clock = fakeClock(T0 - 40 * DAY);
    const store = await stores.open(make, { scheduler: clock.scheduler });
    await seed(store);
    vi.setSystemTime(then);
    return store;
  }
  const ids = async (store: BrainStore, name: 'brainActions' | 'brainSummaries' | 'brainInsights') =>
    (await store.database[name].find().exec()).map((doc) => doc.id).sort();

  it('purges only old terminal actions; pending and recent ones stay; tombstones are removed', async () => {
    const store = await seededStore();
    const log = recordRuns();
    startExpiryCleanup(store, { onRun: log.onRun, onError: log.onError, scheduler: clock.scheduler });
    await log.runs(1);
    expect(log.errors).toEqual([]);
    expect(log.reports[0]?.purged).toEqual({ brainActions: 3, brainSummaries: 0, brainInsights: 0 });
    expect(await ids(store, 'brainActions')).toEqual(['actioned-recent', 'expired-recent', 'pending-old']);
    expect(await ids(store, 'brainSummaries')).toHaveLength(1);
    expect(await ids(store, 'brainInsights')).toHaveLength(1);
    // No tombstones left behind (no replication is running, so they go at once).
    const tombstones = await store.database.brainActions.storageInstance.findDocumentsById(
      ['actioned-old', 'dismissed-old', 'expired-old'],
      true,
    );
    expect(tombstones).toEqual([]);
  });

  it('with a replication running, tombstones wait until it is in sync, without blocking the runs', async () => {
    const store = await seededStore();
    let inSync!: () => void;
    const synced = new Promise<boolean>((resolve) => (inSync = () => resolve(true)));
    const collection = store.database.brainActions;
    // A stand-in for a running replication (offline: never in sync until we say so).
    const unregister = registerReplication(store.database, 'brainActions', {
      unacknowledged: async () => new Set(),
      awaitInSync: () => synced,
    });
    try {
      const log = recordRuns();
      startExpiryCleanup(store, { onRun: log.onRun, onError: log.onError, scheduler: clock.scheduler });
      await log.runs(1);
      expect(log.reports[0]?.purged.brainActions).toBe(3);
      const tombstones = () => collection.storageInstance.findDocumentsById(['actioned-old', 'dismissed-old', 'expired-old'], true);
      await settle();
      expect(await tombstones()).toHaveLength(3); // kept: the replication may not have read them yet
      inSync();
      await until(async () => (await tombstones()).length === 0, 'the tombstones to go');
      expect(log.errors).toEqual([]);
    } finally {
      unregister();
    }
  });

  it('purges summaries and insights by created_at when their retention is set', async () => {
    const store = await seededStore(T0 - 39 * DAY);
    await store.brainSummaries.createSummary(summaryArgs({ summary_text: 'newer' }));
    vi.setSystemTime(T0);
    const log = recordRuns();
    startExpiryCleanup(store, {
      onRun: log.onRun,
      retention: { summariesMs: 39 * DAY + 1, insightsMs: 30 * DAY },
      scheduler: clock.scheduler,
    });
    await log.runs(1);
    expect(log.reports[0]?.purged).toEqual({ brainActions: 3, brainSummaries: 1, brainInsights: 1 });
    expect(await ids(store, 'brainInsights')).toEqual([]);
    const [kept] = await store.database.brainSummaries.find().exec();
    expect(kept?.summary_text).toBe('newer');
    expect(retentionInUse(store.database)).toEqual({
      brainActions: DEFAULT_ACTION_RETENTION_MS,
      brainSummaries: 39 * DAY + 1,
      brainInsights: 30 * DAY,
    });
  });

  it('reads through the index: documents read ≈ documents purged, not the collection', async () => {
    fakeClock(T0);
    const store = await stores.open(make);
    const docs = Array.from({ length: 2_000 }, (_, i) =>
      i < 100
        ? actionDoc(`old-${i}`, { created_at: T0 - 20 * DAY, status: 'dismissed', status_at: T0 - 10 * DAY })
        : actionDoc(`keep-${i}`, { created_at: T0 - DAY, status: i % 2 ? 'pending' : 'actioned' }),
    );
    await store.database.brainActions.bulkInsert(docs);
    const reads = countReads(store.database.brainActions);
    const counts = await purgeByRetention(store.database, T0, resolveRetention());
    expect(counts.brainActions).toBe(100);
    expect(reads.read).toBe(100);
  });

  it('purges exactly the documents the predicate names (random statuses and times)', async () => {
    fakeClock(T0);
    const store = await stores.open(make);
    const retention = resolveRetention({ actionsMs: 5 * DAY });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ status: fc.constantFrom(...ACTION_STATUSES), age: fc.integer({ min: 0, max: 10 * DAY }) }), { maxLength: 15 }),
        fc.integer({ min: 0, max: 10 * DAY }),
        async (specs, shift) => {
          run += 1;
          const at = T0 + shift;
          const docs = specs.map(({ status, age }, i) => {
            const status_at = T0 - age;
            return actionDoc(`r${run}-${i}`, {
              created_at: status_at - 1,
              expires_at: status === 'expired' ? status_at : status_at + DAY,
              status,
              status_at: status === 'pending' ? status_at - 1 : status_at,
            });
          });
          await store.database.brainActions.bulkInsert(docs);
          await purgeByRetention(store.database, at, retention);
          const left = new Set((await store.database.brainActions.findByIds(docs.map((doc) => doc.id)).exec()).keys());
          for (const doc of docs) expect(left.has(doc.id)).toBe(!isPurgedByRetention('brainActions', doc, at, retention));
        },
      ),
      { numRuns: 25 },
    );
  });
});
