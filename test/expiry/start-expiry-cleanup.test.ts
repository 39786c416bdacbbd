import { describe, expect, it, vi } from 'vitest';
import { STORAGES } from '../helpers/storages.ts';
import { HOUR, MINUTE, SECOND, T0, cleanupSuite, create, recordRuns, settle, statusOf } from './expiry-fixtures.ts';
import { until } from '../../harness/until.ts';
import { mergeActionVersions } from '../../src/collections/action-status.ts';

describe.each(STORAGES)('startExpiryCleanup on $name', ({ make }) => {
  const { started } = cleanupSuite(make);

  it('runs at start and expires what is already due', async () => {
    let due = '';
    const { store, log } = await started({}, async (s) => void (due = await create(s, T0 - 1)));
    expect(log.reports[0]).toMatchObject({ at: T0, expired: 1 });
    expect(await statusOf(store, due)).toBe('expired');
    expect(log.errors).toEqual([]);
  });

  it('runs exactly at the earliest expires_at, not before', async () => {
    let id = '';
    const { store, log, clock } = await started({}, async (s) => void (id = await create(s, T0 + 5 * SECOND)));
    await clock.advance(5 * SECOND - 1);
    await settle();
    expect(log.reports).toHaveLength(1);
    expect(await statusOf(store, id)).toBe('pending');
    await clock.advance(1);
    await log.runs(2);
    expect(log.reports[1]).toMatchObject({ at: T0 + 5 * SECOND, expired: 1 });
    const doc = await store.database.brainActions.findOne(id).exec();
    // Deterministic expiry: status_at is the action's own expires_at.
    expect(doc?.toJSON()).toMatchObject({ status: 'expired', status_at: T0 + 5 * SECOND });
  });

  it('re-arms when a new, earlier action is created', async () => {
    let late = '';
    const { store, log, clock } = await started({}, async (s) => void (late = await create(s, T0 + HOUR)));
    await clock.advance(SECOND);
    const early = await create(store, T0 + 10 * SECOND);
    await settle();
    await clock.advance(9 * SECOND - 1);
    await settle();
    expect(await statusOf(store, early)).toBe('pending');
    await clock.advance(1);
    await log.runs(2);
    expect(log.reports[1]).toMatchObject({ at: T0 + 10 * SECOND, expired: 1 });
    expect(await statusOf(store, early)).toBe('expired');
    expect(await statusOf(store, late)).toBe('pending');
  });

  it('expires an action whose expires_at is exactly now, without the clock moving', async () => {
    const { store, log, clock } = await started();
    const id = await create(store, Date.now());
    // The read hides it at once; the cleanup marks it at once (a zero-delay timer).
    expect(await store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec()).toEqual([]);
    await clock.advance(0);
    await log.runs(2);
    expect(Date.now()).toBe(T0);
    expect(await statusOf(store, id)).toBe('expired');
  });

  it('runs every intervalMs', async () => {
    const { log, clock } = await started({ intervalMs: 10 * MINUTE });
    await clock.advance(30 * MINUTE);
    await log.runs(4);
    await settle();
    expect(log.reports.map((report) => report.at)).toEqual([T0, T0 + 10 * MINUTE, T0 + 20 * MINUTE, T0 + 30 * MINUTE]);
  });

  it('a clock jump forward of hours (sleep) triggers a run within one clock check', async () => {
    let id = '';
    const { store, log, clock } = await started({ clockCheckMs: 5 * SECOND }, async (s) => void (id = await create(s, T0 + HOUR)));
    vi.setSystemTime(T0 + 5 * HOUR); // the wall clock moved, the timers did not (they were asleep)
    await clock.advance(5 * SECOND);
    await log.runs(2);
    expect(log.reports[1]?.at).toBeGreaterThanOrEqual(T0 + 5 * HOUR);
    expect(log.reports[1]?.expired).toBe(1);
    expect(await statusOf(store, id)).toBe('expired');
  });

  it('a clock jump backward expires nothing early and re-arms for the true instant', async () => {
    let id = '';
    const { store, log, clock } = await started({}, async (s) => void (id = await create(s, T0 + 10 * MINUTE)));
    await clock.advance(MINUTE);
    vi.setSystemTime(T0 - 59 * MINUTE); // one hour back
    // The timer armed for 10 minutes of timer time passes: by the clock it is not yet due.
    await clock.advance(10 * MINUTE);
    await settle();
    expect(await statusOf(store, id)).toBe('pending');
    expect(log.reports.every((report) => report.expired === 0)).toBe(true);
    // The clock reaches T0 + 10 min after 69 minutes from the jump: not a millisecond before.
    await clock.advance(59 * MINUTE - 1);
    await settle();
    expect(Date.now()).toBe(T0 + 10 * MINUTE - 1);
    expect(await statusOf(store, id)).toBe('pending');
    const before = log.reports.length;
    await clock.advance(1);
    await log.runs(before + 1);
    expect(log.reports.at(-1)).toMatchObject({ at: T0 + 10 * MINUTE, expired: 1 });
    expect(await statusOf(store, id)).toBe('expired');
  });

  it('an action re-prioritised before it expires keeps its expiry', async () => {
    let id = '';
    const { store, log, clock } = await started({}, async (s) => void (id = await create(s, T0 + HOUR)));
    await clock.advance(30 * MINUTE);
    const doc = await store.database.brainActions.findOne(id).exec();
    await doc?.incrementalPatch({ priority: 95, priority_rank: 5 });
    await settle();
    await clock.advance(30 * MINUTE - 1);
    await settle();
    expect(await statusOf(store, id)).toBe('pending');
    await clock.advance(1);
    await untilRun(log, (r) => r.expired === 1);
    const after = (await store.database.brainActions.findOne(id).exec())?.toJSON();
    expect(after).toMatchObject({ status: 'expired', priority: 95, expires_at: T0 + HOUR, status_at: T0 + HOUR });
  });

  it('an action actioned 1 ms before expiry stays actioned after the timer fires and after the server expiry merges', async () => {
    let id = '';
    const { store, log, clock } = await started({}, async (s) => void (id = await create(s, T0 + HOUR)));
    await clock.advance(HOUR - 1);
    await store.brainActions.markActionActioned({ action_id: id, actioned_by: 'u1' });
    await clock.advance(1);
    await clock.advance(2 * MINUTE);
    await settle();
    const local = (await store.database.brainActions.findOne(id).exec())!.toMutableJSON();
    expect(local).toMatchObject({ status: 'actioned', status_at: T0 + HOUR - 1, actioned_at: T0 + HOUR - 1 });
    expect(log.reports.every((report) => report.expired === 0)).toBe(true);
    // The server's deterministic expiry of the same action, arriving later, loses the merge.
    const serverExpired = { ...local, status: 'expired' as const, status_at: local.expires_at };
    expect(mergeActionVersions(serverExpired, local)).toBe(local);
    expect(mergeActionVersions(local, serverExpired)).toBe(local);
  });
});

async function untilRun(log: ReturnType<typeof recordRuns>, predicate: (report: (typeof log.reports)[number]) => boolean) {
  await until(() => log.reports.some(predicate), 'a matching run');
}
