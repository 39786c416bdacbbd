import { describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { BrainStoreError } from '../../src/index.ts';
import { STORAGES, closingStores } from '../helpers/storages.ts';
import { HOUR, T0, actionArgs, manualClock, storesWithClock } from './fixtures.ts';
import { until } from '../../harness/until.ts';

/**
 * Issue 20: snoozeAction hides a pending action from the queue until `until` and the queue
 * shows it again at that instant. The clock is the store's injected one, moved by hand;
 * timers stay real (RxDB needs real setTimeout): the live query's timer, armed for the snooze
 * end, finds the clock short and re-arms until the test moves it there.
 */
describe.each(STORAGES)('snoozeAction on $name (issue 20)', ({ make }) => {
  const setup = storesWithClock(make);
  const stores = closingStores();
  const ids = (list: readonly { id: string }[]) => list.map((a) => a.id);

  it('hides the action from both queue reads until `until`, exactly; expired and other statuses are unaffected', async () => {
    const { clock, actions } = await setup();
    const snoozed = await actions.createActionRecommendation(actionArgs({ priority: 90 }));
    const other = await actions.createActionRecommendation(actionArgs({ priority: 10 }));
    const end = T0 + 3 * HOUR;
    await actions.snoozeAction({ action_id: snoozed, until: end });
    const reads = () =>
      Promise.all([
        actions.getActionsByPriority({ workspace_id: 'w1' }).exec(),
        actions.getActionsByPriority({ workspace_id: 'w1', urgency: 'today' }).exec(),
        actions.getActionsByWorkspace({ workspace_id: 'w1' }).exec(),
        actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'pending' }).exec(),
      ]);
    for (const list of await reads()) expect(ids(list)).toEqual([other]);
    clock.set(end - 1);
    for (const list of await reads()) expect(ids(list)).toEqual([other]);
    clock.set(end);
    for (const list of await reads()) expect(ids(list)).toEqual([snoozed, other]);
    const [back] = await actions.getActionsByPriority({ workspace_id: 'w1' }).exec();
    expect(back).toMatchObject({ id: snoozed, status: 'pending', snoozed_until: end, snoozed_at: T0 });
    expect(back).not.toHaveProperty('snoozed_by'); // a store without a role names nobody unless told
  });

  it('the live queue drops the action at once and brings it back at the snooze instant, not a millisecond before', async () => {
    const { clock, actions } = await setup();
    const id = await actions.createActionRecommendation(actionArgs({ priority: 90 }));
    const stays = await actions.createActionRecommendation(actionArgs({ priority: 10 }));
    const seen: { at: number; ids: string[] }[] = [];
    const subscription: Subscription = actions
      .getActionsByPriority({ workspace_id: 'w1' })
      .$.subscribe((list) => seen.push({ at: clock.now(), ids: ids(list) }));
    const emissions = async (count: number) => {
      await until(
        () => seen.length >= count,
        () => `emission ${count} of the live queue (have ${seen.length})`,
      );
      expect(seen).toHaveLength(count);
    };
    try {
      await emissions(1);
      const end = T0 + 40; // the timer waits 40 real ms, then re-arms while the clock stands still
      await actions.snoozeAction({ action_id: id, until: end });
      await emissions(2);
      expect(seen[1]!.ids).toEqual([stays]);
      await new Promise((resolve) => setTimeout(resolve, 120));
      clock.set(end - 1);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(seen).toHaveLength(2);
      clock.set(end);
      await emissions(3);
      expect(seen[2]).toEqual({ at: end, ids: [id, stays] });
    } finally {
      subscription.unsubscribe();
    }
  });

  it('expiry still applies to a snoozed action: it never comes back after its expires_at, and the cleanup expires it', async () => {
    const { clock, actions } = await setup();
    const id = await actions.createActionRecommendation(actionArgs({ expires_at: T0 + HOUR }));
    await actions.snoozeAction({ action_id: id, until: T0 + 2 * HOUR });
    clock.set(T0 + HOUR);
    expect(await actions.cleanupExpiredActions()).toBe(1);
    clock.set(T0 + 2 * HOUR);
    expect(await actions.getActionsByPriority({ workspace_id: 'w1' }).exec()).toEqual([]);
    expect(await actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'expired' }).exec()).toMatchObject([
      { id, status: 'expired', status_at: T0 + HOUR },
    ]);
    await expect(actions.snoozeAction({ action_id: id, until: T0 + 3 * HOUR })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('a snoozed action can still be actioned or dismissed; a later snooze replaces an earlier one; a past `until` shows it at once', async () => {
    const { clock, actions } = await setup();
    const a = await actions.createActionRecommendation(actionArgs({ priority: 80 }));
    const b = await actions.createActionRecommendation(actionArgs({ priority: 70 }));
    await actions.snoozeAction({ action_id: a, until: T0 + HOUR });
    await actions.snoozeAction({ action_id: b, until: T0 + HOUR });
    clock.advance(1_000);
    await actions.snoozeAction({ action_id: a, until: T0 + 5 * HOUR, snoozed_by: 'bot' });
    await actions.snoozeAction({ action_id: b, until: clock.now() - 1 }); // un-snooze
    expect(ids(await actions.getActionsByPriority({ workspace_id: 'w1' }).exec())).toEqual([b]);
    clock.set(T0 + HOUR);
    expect(ids(await actions.getActionsByPriority({ workspace_id: 'w1' }).exec())).toEqual([b]);
    await actions.dismissAction({ action_id: a });
    expect(await actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'dismissed' }).exec()).toMatchObject([
      { id: a, snoozed_until: T0 + 5 * HOUR, snoozed_at: T0 + 1_000, snoozed_by: 'bot' },
    ]);
    await expect(actions.snoozeAction({ action_id: a, until: T0 + 9 * HOUR })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('bad arguments and unknown ids are refused, nothing written', async () => {
    const { actions } = await setup();
    const id = await actions.createActionRecommendation(actionArgs());
    await expect(actions.snoozeAction({ action_id: 'nope', until: T0 + HOUR })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const bad = await actions.snoozeAction({ action_id: id, until: -1 }).catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(BrainStoreError);
    expect((bad as BrainStoreError).issues[0]?.path).toEqual(['until']);
    await expect(actions.snoozeAction({ action_id: id, until: 1.5 })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(ids(await actions.getActionsByPriority({ workspace_id: 'w1' }).exec())).toEqual([id]);
  });

  it('a member store snoozes in its own name only', async () => {
    const clock = manualClock();
    const store = await stores.open(make, { now: clock.now, role: 'member', subject: 'dana' });
    // A member creates nothing: the action arrives as the bot's, written straight to the collection.
    const { actionDoc } = await import('./fixtures.ts');
    await store.database.brainActions.insert(actionDoc('a1', { created_at: T0 }));
    await store.brainActions.snoozeAction({ action_id: 'a1', until: T0 + HOUR });
    expect(
      await store.database.brainActions
        .findOne('a1')
        .exec()
        .then((doc) => doc?.toJSON()),
    ).toMatchObject({
      snoozed_until: T0 + HOUR,
      snoozed_at: T0,
      snoozed_by: 'dana',
    });
    await expect(store.brainActions.snoozeAction({ action_id: 'a1', until: T0 + HOUR, snoozed_by: 'eve' })).rejects.toMatchObject({
      code: 'FORBIDDEN_ROLE',
    });
  });
});
