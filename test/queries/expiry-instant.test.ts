import { afterEach, describe, expect, it, vi } from 'vitest';
import { STORAGES, closingStores } from '../helpers/storages.ts';
import { DAY, T0, actionArgs, flushWithoutTime } from './fixtures.ts';
import { fakeClock, type FakeClock } from '../helpers/fake-clock.ts';
import { until } from '../../harness/until.ts';

/**
 * The store's default clock is Date.now, which the fake clock controls (with the store's
 * scheduler, on which the reads re-arm), so these tests move time by hand and watch a pending action leave the action reads at its expires_at —
 * not a millisecond earlier, and before any cleanup has marked it expired.
 */
describe.each(STORAGES)('expiry instant on $name (fake clock)', ({ make }) => {
  const stores = closingStores();
  afterEach(() => void vi.useRealTimers());

  it('a pending action leaves getActionsByPriority and getActionsByWorkspace $ exactly at expires_at', async () => {
    // Opened on the real Date (no `now`: the default clock), then the clock is faked: the
    // regression below. Its reads arm their timers on the fake clock made after it.
    const later: { clock?: FakeClock } = {};
    const store = await stores.open(make, {
      scheduler: {
        setTimeout: (callback, ms) => later.clock!.scheduler.setTimeout(callback, ms),
        clearTimeout: (handle) => later.clock?.scheduler.clearTimeout(handle),
      },
    });
    const clock = (later.clock = fakeClock(T0));
    const actions = store.brainActions;
    const expiresAt = T0 + 10_000;
    const soon = await actions.createActionRecommendation(actionArgs({ priority: 90, expires_at: expiresAt }));
    const createdAt = Date.now();
    const stays = await actions.createActionRecommendation(actionArgs({ priority: 10 }));
    // Regression: the default clock was the captured real Date.now, deaf to fake timers.
    const stored = await store.database.brainActions.findOne(stays).exec();
    expect(stored?.created_at).toBe(Date.now());
    expect(stored?.expires_at).toBe(Date.now() + DAY);
    expect(createdAt).toBeLessThan(T0 + 100);

    const emissions: { at: number; ids: string[] }[][] = [[], []];
    const subs = [actions.getActionsByPriority({ workspace_id: 'w1' }), actions.getActionsByWorkspace({ workspace_id: 'w1' })].map(
      (query, i) => query.$.subscribe((list) => emissions[i]!.push({ at: Date.now(), ids: list.map((a) => a.id) })),
    );
    await until(() => emissions.every((e) => e.length === 1), 'the first emission of both reads');
    for (const e of emissions) expect(e[0]!.ids).toEqual([soon, stays]);

    await clock.advance(expiresAt - 1 - Date.now());
    await flushWithoutTime();
    expect(Date.now()).toBe(expiresAt - 1);
    for (const e of emissions) expect(e).toHaveLength(1);

    await clock.advance(1);
    await until(() => emissions.every((e) => e.length === 2), 'both reads to drop the expired action');
    for (const e of emissions) expect(e[1]).toEqual({ at: expiresAt, ids: [stays] });
    // No cleanup has run: the stored action is still pending, yet `exec()` agrees with `$`.
    expect((await store.database.brainActions.findOne(soon).exec())?.status).toBe('pending');
    expect((await actions.getActionsByPriority({ workspace_id: 'w1' }).exec()).map((a) => a.id)).toEqual([stays]);

    // The cleanup that follows changes nothing in these answers: no emission.
    expect(await actions.cleanupExpiredActions()).toBe(1);
    await flushWithoutTime();
    for (const e of emissions) expect(e).toHaveLength(2);
    subs.forEach((s) => s.unsubscribe());
  });

  it('expires_at exactly now is expired: not in the reads, refused as a transition, counted by cleanup', async () => {
    const clock = fakeClock(T0);
    const store = await stores.open(make, { scheduler: clock.scheduler });
    const actions = store.brainActions;
    const id = await actions.createActionRecommendation(actionArgs({ expires_at: T0 + 5_000 }));
    await clock.advance(T0 + 5_000 - Date.now());
    expect(Date.now()).toBe(T0 + 5_000);
    expect(await actions.getActionsByPriority({ workspace_id: 'w1' }).exec()).toEqual([]);
    expect(await actions.getActionsByWorkspace({ workspace_id: 'w1' }).exec()).toEqual([]);
    await expect(actions.dismissAction({ action_id: id })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await actions.cleanupExpiredActions()).toBe(1);
    expect(await actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'expired' }).exec()).toMatchObject([
      { id, status: 'expired', status_at: T0 + 5_000 },
    ]);
  });

  it('the earliest expiry re-arms: several actions leave one by one, each at its own instant', async () => {
    const clock = fakeClock(T0);
    const store = await stores.open(make, { scheduler: clock.scheduler });
    const actions = store.brainActions;
    const instants = [T0 + 3_000, T0 + 1_000, T0 + 2_000];
    for (const [i, expires_at] of instants.entries())
      await actions.createActionRecommendation(actionArgs({ priority: 50 + i, expires_at }));
    const seen: { at: number; size: number }[] = [];
    const sub = actions
      .getActionsByPriority({ workspace_id: 'w1' })
      .$.subscribe((list) => seen.push({ at: Date.now(), size: list.length }));
    await until(() => seen.length === 1, 'the first emission');
    for (const [n, at] of [T0 + 1_000, T0 + 2_000, T0 + 3_000].entries()) {
      await clock.advance(at - Date.now());
      await until(
        () => seen.length === n + 2,
        () => `emission ${n + 2} (have ${seen.length})`,
      );
      expect(seen[n + 1]).toEqual({ at, size: 2 - n });
    }
    sub.unsubscribe();
  });
});
