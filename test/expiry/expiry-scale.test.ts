import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { STORAGES } from '../helpers/storages.ts';
import { startExpiryCleanup } from '../../src/expiry/start-expiry-cleanup.ts';
import { fakeClock } from '../helpers/fake-clock.ts';
import {
  DAY,
  HOUR,
  MINUTE,
  SECOND,
  T0,
  actionDoc,
  cleanupSuite,
  countReads,
  create,
  recordRuns,
  settle,
  statuses,
} from './expiry-fixtures.ts';
import { until } from '../../harness/until.ts';

const MANY = 10_000;
/**
 * fake-indexeddb updates index entries in time linear in the index size, so expiring n
 * actions at once costs O(n²) there (5,000 take ~17 s, not a property of this code: real
 * IndexedDB and the memory storage are linear). Dexie runs the same-instant case at 2,000;
 * set EXPIRY_FULL_SCALE=1 to run it at 10,000 (about a minute and a half).
 */
const sameInstantCount = (storage: string) => (storage === 'dexie' && !process.env['EXPIRY_FULL_SCALE'] ? 2_000 : MANY);

describe.each(STORAGES)('expiry at scale on $name', ({ name, make }) => {
  const { stores } = cleanupSuite(make);

  const many = sameInstantCount(name);
  it(
    `${many} actions expiring at the same instant: one run expires all, reads drop them at that instant`,
    { timeout: 240_000 },
    async () => {
      const clock = fakeClock(T0);
      const store = await stores.open(make, { scheduler: clock.scheduler });
      const expiresAt = T0 + HOUR;
      await store.database.brainActions.bulkInsert(
        Array.from({ length: many }, (_, i) => actionDoc(`a${String(i).padStart(5, '0')}`, { created_at: T0 - i, expires_at: expiresAt })),
      );
      const answers: number[] = [];
      const read = store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).$.subscribe((actions) => answers.push(actions.length));
      const log = recordRuns();
      startExpiryCleanup(store, { onRun: log.onRun, onError: log.onError, scheduler: clock.scheduler });
      await log.runs(1);
      await until(() => answers.at(-1) === 20, 'the first answer');
      await clock.advance(HOUR - 1);
      await settle();
      expect(answers.at(-1)).toBe(20);
      expect(log.reports.every((report) => report.expired === 0)).toBe(true);
      await clock.advance(1);
      await until(() => log.reports.some((report) => report.expired > 0), 'the expiry run');
      const expiring = log.reports.filter((report) => report.expired > 0);
      expect(expiring).toEqual([expect.objectContaining({ at: expiresAt, expired: many })]);
      expect(answers.at(-1)).toBe(0);
      expect(Date.now()).toBe(expiresAt);
      const counts = new Map<string, number>();
      for (const status of (await statuses(store)).values()) counts.set(status, (counts.get(status) ?? 0) + 1);
      expect(Object.fromEntries(counts)).toEqual({ expired: many });
      read.unsubscribe();
      expect(log.errors).toEqual([]);
    },
  );

  it(`an idle tick with ${MANY} pending actions, none due, reads ~0 documents (O(1), not O(n))`, async () => {
    const clock = fakeClock(T0);
    const store = await stores.open(make, { scheduler: clock.scheduler });
    await store.database.brainActions.bulkInsert(
      Array.from({ length: MANY }, (_, i) => actionDoc(`p${i}`, { created_at: T0, expires_at: T0 + DAY + i })),
    );
    const log = recordRuns();
    startExpiryCleanup(store, { onRun: log.onRun, intervalMs: MINUTE, clockCheckMs: 5 * SECOND, scheduler: clock.scheduler });
    await log.runs(1);
    await settle();
    const reads = countReads(store.database.brainActions);
    // One interval: eleven clock checks (no storage access) and one full run (expiry + retention queries).
    await clock.advance(MINUTE);
    await log.runs(2);
    await settle();
    expect(log.reports[1]).toMatchObject({ expired: 0 });
    expect(reads.read).toBeLessThanOrEqual(1);
  });
});

describe.each(STORAGES)('expiry order (property) on $name', ({ make }) => {
  const { stores } = cleanupSuite(make);

  it('after the timers run to T, exactly the actions with expires_at ≤ T are expired', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ createdAfter: fc.integer({ min: 0, max: 2 * HOUR }), ttl: fc.integer({ min: 0, max: 3 * HOUR }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 0, max: 5 * HOUR }),
        async (specs, horizon) => {
          // Date and the cleanup's scheduler only: RxDB's own waits stay real (a faked
          // setTimeout could hold its promiseWait at the frozen instant T under load).
          const clock = fakeClock(T0);
          const store = await stores.open(make);
          try {
            const log = recordRuns();
            startExpiryCleanup(store, { onRun: log.onRun, onError: log.onError, intervalMs: DAY, scheduler: clock.scheduler });
            await log.runs(1);
            // Actions are created as time goes by, in creation order, each with its own expiry.
            const created: { id: string; expires_at: number }[] = [];
            const ordered = [...specs].sort((a, b) => a.createdAfter - b.createdAfter);
            for (const { createdAfter, ttl } of ordered) {
              const wait = T0 + createdAfter - Date.now();
              if (createdAfter > horizon) break;
              if (wait > 0) await clock.advance(wait);
              const expires_at = Date.now() + ttl;
              created.push({ id: await create(store, expires_at), expires_at });
              await settle(5);
            }
            const rest = T0 + horizon - Date.now();
            if (rest > 0) await clock.advance(rest);
            const T = Date.now();
            await until(async () => {
              const now = await statuses(store);
              return created.every(({ id, expires_at }) => (now.get(id) === 'expired') === expires_at <= T);
            }, 'statuses to settle');
            await settle();
            const final = await statuses(store);
            for (const { id, expires_at } of created) expect(final.get(id)).toBe(expires_at <= T ? 'expired' : 'pending');
            expect(log.errors).toEqual([]);
          } finally {
            clock.restore();
            await store.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
