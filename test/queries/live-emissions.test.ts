import { describe, expect, it } from 'vitest';
import type { Observable } from 'rxjs';
import { STORAGES } from '../helpers/storages.ts';
import { T0, actionArgs, insightArgs, storesWithClock, summaryArgs } from './fixtures.ts';

/**
 * `$` emits the current answer first, then once per change of the answer, never for a write
 * that leaves it unchanged. "No emission" is asserted by following each silent write with a
 * write that must emit: events are processed in order, so the count proves the silence.
 */
function record<T>($: Observable<T>) {
  const seen: T[] = [];
  const subscription = $.subscribe((value) => seen.push(value));
  return {
    seen,
    subscription,
    /** Waits until exactly `n` answers have been emitted. */
    async count(n: number) {
      await expect.poll(() => seen.length).toBe(n);
      return seen[n - 1]!;
    },
  };
}

describe.each(STORAGES)('live $ emissions on $name', ({ make }) => {
  const setup = storesWithClock(make);
  const ids = (list: readonly { id: string }[]) => list.map((a) => a.id);

  it('getActionsByPriority: first the current answer, then one emission per change of the top 20 only', async () => {
    const { clock, store } = await setup();
    const actions = store.brainActions;
    const top: string[] = [];
    for (let i = 0; i < 20; i++) {
      top.push(await actions.createActionRecommendation(actionArgs({ priority: 60 + i })));
      clock.advance(1);
    }
    const live = record(actions.getActionsByPriority({ workspace_id: 'w1' }).$);
    expect(ids(await live.count(1))).toHaveLength(20);

    // Silent: below the top 20, another workspace, another workspace's transition.
    const low = await actions.createActionRecommendation(actionArgs({ priority: 10 }));
    const elsewhere = await actions.createActionRecommendation(actionArgs({ workspace_id: 'w2', priority: 100 }));
    await actions.dismissAction({ action_id: elsewhere });
    // Changes the answer: a new top action.
    const best = await actions.createActionRecommendation(actionArgs({ priority: 99 }));
    const second = await live.count(2);
    expect(ids(second)[0]).toBe(best);
    expect(ids(second)).not.toContain(low);

    // Silent: a transition of an action outside the answer.
    await actions.markActionActioned({ action_id: top[0]!, actioned_by: 'u' }); // priority 60 was pushed out by `best`
    // Changes: dismissing a member lets the next one in.
    await actions.dismissAction({ action_id: best });
    const third = await live.count(3);
    expect(ids(third)).not.toContain(best);
    expect(ids(third)).toHaveLength(20);
    expect(ids(third)).toContain(top[1]!);
    expect(ids(third)).not.toContain(top[0]!);

    // The low one enters once enough members leave.
    for (const id of top.slice(1, 4)) await actions.dismissAction({ action_id: id });
    await live.count(6);
    expect(ids(live.seen[5]!)).toContain(low);
    live.subscription.unsubscribe();
  });

  it('getActionsByWorkspace by status: a transition moves the action between live answers once each', async () => {
    const { store } = await setup();
    const actions = store.brainActions;
    const id = await actions.createActionRecommendation(actionArgs());
    const pending = record(actions.getActionsByWorkspace({ workspace_id: 'w1' }).$);
    const actioned = record(actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'actioned' }).$);
    expect(ids(await pending.count(1))).toEqual([id]);
    expect(await actioned.count(1)).toEqual([]);
    await actions.markActionActioned({ action_id: id, actioned_by: 'u' });
    expect(await pending.count(2)).toEqual([]);
    expect(await actioned.count(2)).toMatchObject([{ id, status: 'actioned', actioned_by: 'u' }]);
    const marker = await actions.createActionRecommendation(actionArgs());
    expect(ids(await pending.count(3))).toEqual([marker]);
    expect(actioned.seen).toHaveLength(2);
    pending.subscription.unsubscribe();
    actioned.subscription.unsubscribe();
  });

  it('getLatestSummary: null first, then only when a newer summary of the workspace arrives', async () => {
    const { clock, store } = await setup();
    const summaries = store.brainSummaries;
    const live = record(summaries.getLatestSummary({ workspace_id: 'w1' }).$);
    expect(await live.count(1)).toBeNull();
    const first = await summaries.createSummary(summaryArgs());
    expect((await live.count(2))?.id).toBe(first);
    await summaries.createSummary(summaryArgs({ workspace_id: 'w2' }));
    clock.set(T0 - 1_000);
    await summaries.createSummary(summaryArgs({ summary_text: 'older' })); // not the latest
    clock.set(T0 + 1_000);
    const newer = await summaries.createSummary(summaryArgs());
    expect((await live.count(3))?.id).toBe(newer);
    live.subscription.unsubscribe();
  });

  it('getInsightsByWorkspace with filters ignores insights that do not match them', async () => {
    const { store } = await setup();
    const insights = store.brainInsights;
    const live = record(insights.getInsightsByWorkspace({ workspace_id: 'w1', insight_type: 'objection_pattern', time_range: 'week' }).$);
    expect(await live.count(1)).toEqual([]);
    await insights.bulkCreateInsights({
      insights: [
        insightArgs({ insight_type: 'trending_topic', time_range: 'week' }),
        insightArgs({ insight_type: 'objection_pattern', time_range: 'today' }),
      ],
    });
    await insights.createInsight(insightArgs({ workspace_id: 'w2', insight_type: 'objection_pattern', time_range: 'week' }));
    const hit = await insights.createInsight(insightArgs({ insight_type: 'objection_pattern', time_range: 'week' }));
    expect(ids(await live.count(2))).toEqual([hit]);
    live.subscription.unsubscribe();
  });

  it('a bulk insert is one change: one emission', async () => {
    const { clock, store } = await setup();
    const live = record(store.brainInsights.getInsightsByWorkspace({ workspace_id: 'w1' }).$);
    await live.count(1);
    await store.brainInsights.bulkCreateInsights({ insights: Array.from({ length: 50 }, () => insightArgs()) });
    expect(await live.count(2)).toHaveLength(20);
    await store.brainInsights.createInsight(insightArgs({ workspace_id: 'w9' }));
    clock.advance(1);
    const marker = await store.brainInsights.createInsight(insightArgs());
    await live.count(3);
    expect(ids(live.seen[2]!)).toContain(marker);
    live.subscription.unsubscribe();
  });

  it('emitted answers are frozen plain objects', async () => {
    const { store } = await setup();
    await store.brainActions.createActionRecommendation(actionArgs());
    const live = record(store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).$);
    const [action] = await live.count(1);
    expect(Object.isFrozen(action)).toBe(true);
    expect(Object.keys(action!).sort()).toEqual(
      [
        'action_type',
        'contact_id',
        'created_at',
        'expires_at',
        'id',
        'priority',
        'reason',
        'snoozed_until',
        'status',
        'status_at',
        'urgency',
        'workspace_id',
      ].sort(),
    );
    live.subscription.unsubscribe();
  });

  it('an action created already past its expires_at never shows up, not even for one emission (regression: it flashed in for one answer)', async () => {
    const { clock, store } = await setup();
    const live = record(store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).$);
    await live.count(1);
    clock.advance(5_000); // the subscription's instant is now in the past
    await store.brainActions.createActionRecommendation(actionArgs({ expires_at: T0 + 1_000 }));
    const fresh = await store.brainActions.createActionRecommendation(actionArgs());
    const answer = await live.count(2);
    expect(ids(answer)).toEqual([fresh]);
    live.subscription.unsubscribe();
  });
});
