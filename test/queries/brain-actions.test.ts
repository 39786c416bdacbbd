import { describe, expect, it } from 'vitest';
import { BrainStoreError, type ActionStatus } from '../../src/index.ts';
import { STORAGES } from '../helpers/storages.ts';
import { DAY, HOUR, T0, actionArgs, storesWithClock } from './fixtures.ts';

describe.each(STORAGES)('brainActions on $name', ({ make }) => {
  const setup = storesWithClock(make);
  const ids = (list: readonly { id: string }[]) => list.map((a) => a.id);

  it('createActionRecommendation: pending, created_at = now, expires_at default +24 h, or as given', async () => {
    const { actions } = await setup();
    const id = await actions.createActionRecommendation(actionArgs({ suggested_message: 'Hi!' }));
    const explicit = await actions.createActionRecommendation(actionArgs({ expires_at: T0 + HOUR }));
    const list = await actions.getActionsByWorkspace({ workspace_id: 'w1' }).exec();
    const byId = new Map(list.map((a) => [a.id, a]));
    expect(byId.get(id)).toEqual({
      ...actionArgs({ suggested_message: 'Hi!' }),
      id,
      status: 'pending',
      status_at: T0,
      created_at: T0,
      expires_at: T0 + DAY,
      snoozed_until: 0,
    });
    expect(byId.get(explicit)).toMatchObject({ expires_at: T0 + HOUR, status: 'pending' });
  });

  it('priority high to low, ties newest first, then by id; getActionsByWorkspace default limit 20', async () => {
    const { clock, actions } = await setup();
    const made: { id: string; priority: number; created_at: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const priority = [10, 90, 50, 90, 0, 100][i % 6]!;
      made.push({ id: await actions.createActionRecommendation(actionArgs({ priority })), priority, created_at: clock.now() });
      clock.advance(i % 4 === 0 ? 0 : 7); // some same-millisecond ties too
    }
    await actions.createActionRecommendation(actionArgs({ workspace_id: 'w2', priority: 100 }));
    const expected = [...made].sort((a, b) => b.priority - a.priority || b.created_at - a.created_at || (a.id < b.id ? -1 : 1));
    expect(ids(await actions.getActionsByWorkspace({ workspace_id: 'w1' }).exec())).toEqual(ids(expected.slice(0, 20)));
    expect(ids(await actions.getActionsByPriority({ workspace_id: 'w1' }).exec())).toEqual(ids(expected.slice(0, 20)));
    expect(ids(await actions.getActionsByWorkspace({ workspace_id: 'w1', limit: 100 }).exec())).toEqual(ids(expected));
    expect(ids(await actions.getActionsByPriority({ workspace_id: 'w1', limit: 5 }).exec())).toEqual(ids(expected.slice(0, 5)));
  });

  it('getActionsByWorkspace filters by status (default pending); getActionsByPriority by urgency, pending only', async () => {
    const { clock, actions } = await setup();
    const a = await actions.createActionRecommendation(actionArgs({ urgency: 'immediate', priority: 10 }));
    const b = await actions.createActionRecommendation(actionArgs({ urgency: 'today', priority: 20 }));
    const c = await actions.createActionRecommendation(actionArgs({ urgency: 'immediate', priority: 30 }));
    const d = await actions.createActionRecommendation(actionArgs({ urgency: 'this_week', priority: 40, expires_at: T0 + HOUR }));
    await actions.markActionActioned({ action_id: a, actioned_by: 'u1' });
    await actions.dismissAction({ action_id: b });
    clock.advance(HOUR);
    expect(await actions.cleanupExpiredActions()).toBe(1);
    const byStatus = async (status?: ActionStatus) =>
      ids(await actions.getActionsByWorkspace(status ? { workspace_id: 'w1', status } : { workspace_id: 'w1' }).exec());
    expect(await byStatus()).toEqual([c]);
    expect(await byStatus('pending')).toEqual([c]);
    expect(await byStatus('actioned')).toEqual([a]);
    expect(await byStatus('dismissed')).toEqual([b]);
    expect(await byStatus('expired')).toEqual([d]);
    expect(ids(await actions.getActionsByPriority({ workspace_id: 'w1', urgency: 'immediate' }).exec())).toEqual([c]);
    expect(ids(await actions.getActionsByPriority({ workspace_id: 'w1', urgency: 'this_week' }).exec())).toEqual([]);
    expect(ids(await actions.getActionsByPriority({ workspace_id: 'w1', urgency: 'today' }).exec())).toEqual([]);
  });

  it('pending → actioned stamps actioned_at = now and actioned_by; pending → dismissed', async () => {
    const { clock, actions } = await setup();
    const a = await actions.createActionRecommendation(actionArgs());
    const b = await actions.createActionRecommendation(actionArgs());
    clock.advance(5_000);
    await actions.markActionActioned({ action_id: a, actioned_by: 'agent-7' });
    clock.advance(5_000);
    await actions.dismissAction({ action_id: b });
    const [actioned] = await actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'actioned' }).exec();
    expect(actioned).toMatchObject({ id: a, status: 'actioned', actioned_at: T0 + 5_000, actioned_by: 'agent-7', status_at: T0 + 5_000 });
    const [dismissed] = await actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'dismissed' }).exec();
    expect(dismissed).toMatchObject({ id: b, status: 'dismissed', status_at: T0 + 10_000 });
    expect(dismissed).not.toHaveProperty('actioned_at');
  });

  it('terminal states never change: every other transition is INVALID_TRANSITION and writes nothing (regression: a refused transition wrote a new revision)', async () => {
    const { clock, actions, store } = await setup();
    const actioned = await actions.createActionRecommendation(actionArgs());
    const dismissed = await actions.createActionRecommendation(actionArgs());
    const expired = await actions.createActionRecommendation(actionArgs({ expires_at: T0 + 1 }));
    await actions.markActionActioned({ action_id: actioned, actioned_by: 'u' });
    await actions.dismissAction({ action_id: dismissed });
    clock.advance(1);
    await actions.cleanupExpiredActions();
    const snapshot = async () => (await store.database.brainActions.find().exec()).map((d) => d.toJSON(true));
    const before = await snapshot();
    for (const id of [actioned, dismissed, expired]) {
      for (const attempt of [
        () => actions.markActionActioned({ action_id: id, actioned_by: 'x' }),
        () => actions.dismissAction({ action_id: id }),
      ]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BrainStoreError);
        expect(error).toMatchObject({ code: 'INVALID_TRANSITION', parameters: { action_id: id } });
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('an action past expires_at but not yet cleaned up cannot be actioned or dismissed (expires_at = now is expired)', async () => {
    const { clock, actions, store } = await setup();
    const id = await actions.createActionRecommendation(actionArgs({ expires_at: T0 + HOUR }));
    clock.set(T0 + HOUR);
    await expect(actions.markActionActioned({ action_id: id, actioned_by: 'u' })).rejects.toMatchObject({
      code: 'INVALID_TRANSITION',
      parameters: { from: 'expired', to: 'actioned' },
    });
    await expect(actions.dismissAction({ action_id: id })).rejects.toMatchObject({
      code: 'INVALID_TRANSITION',
      parameters: { from: 'expired', to: 'dismissed' },
    });
    expect((await store.database.brainActions.findOne(id).exec())?.status).toBe('pending');
    clock.set(T0 + HOUR - 1);
    await actions.dismissAction({ action_id: id }); // one millisecond earlier it still could
  });

  it('two concurrent transitions of one action: exactly one wins, the other is INVALID_TRANSITION', async () => {
    const { actions } = await setup();
    for (let round = 0; round < 5; round++) {
      const id = await actions.createActionRecommendation(actionArgs());
      const results = await Promise.allSettled([
        actions.markActionActioned({ action_id: id, actioned_by: 'a' }),
        actions.dismissAction({ action_id: id }),
        actions.markActionActioned({ action_id: id, actioned_by: 'b' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'INVALID_TRANSITION' });
    }
  });

  it('NOT_FOUND for an unknown id', async () => {
    const { actions } = await setup();
    await expect(actions.markActionActioned({ action_id: 'nope', actioned_by: 'u' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      parameters: { action_id: 'nope' },
    });
    await expect(actions.dismissAction({ action_id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('cleanupExpiredActions marks pending actions with expires_at <= now expired, returns the count, and is idempotent', async () => {
    const { clock, actions } = await setup();
    const due = [
      await actions.createActionRecommendation(actionArgs({ expires_at: T0 + 10 })),
      await actions.createActionRecommendation(actionArgs({ workspace_id: 'w2', expires_at: T0 + 20 })),
    ];
    const exactlyNow = await actions.createActionRecommendation(actionArgs({ expires_at: T0 + 30 }));
    const later = await actions.createActionRecommendation(actionArgs({ expires_at: T0 + 31 }));
    const done = await actions.createActionRecommendation(actionArgs({ expires_at: T0 + 5 }));
    await actions.markActionActioned({ action_id: done, actioned_by: 'u' });
    expect(await actions.cleanupExpiredActions()).toBe(0);
    clock.set(T0 + 30);
    expect(await actions.cleanupExpiredActions()).toBe(3);
    expect(await actions.cleanupExpiredActions()).toBe(0);
    const expired = await actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'expired' }).exec();
    expect(ids(expired).sort()).toEqual([due[0]!, exactlyNow].sort());
    expect(expired.every((a) => a.status_at === a.expires_at)).toBe(true);
    expect(ids(await actions.getActionsByWorkspace({ workspace_id: 'w2', status: 'expired' }).exec())).toEqual([due[1]]);
    expect(ids(await actions.getActionsByWorkspace({ workspace_id: 'w1' }).exec())).toEqual([later]);
    expect(ids(await actions.getActionsByWorkspace({ workspace_id: 'w1', status: 'actioned' }).exec())).toEqual([done]);
  });

  it('cleanupExpiredActions handles more than one storage chunk (1000) of due actions', async () => {
    const { clock, actions } = await setup();
    for (let i = 0; i < 1_050; i++) await actions.createActionRecommendation(actionArgs({ expires_at: T0 + 1 }));
    clock.advance(1);
    expect(await actions.cleanupExpiredActions()).toBe(1_050);
    expect(await actions.cleanupExpiredActions()).toBe(0);
  });

  it('read results are plain frozen objects without sort keys or RxDB meta fields', async () => {
    const { actions, store } = await setup();
    await actions.createActionRecommendation(actionArgs());
    await store.brainSummaries.createSummary({
      workspace_id: 'w1',
      summary_text: 't',
      summary_type: 'daily',
      trigger: 'api',
      metrics: { newLeadsCount: 0, hotLeadsCount: 0, warmLeadsCount: 0, coldLeadsCount: 0, topQuestions: ['q'] },
    });
    await store.brainInsights.createInsight({
      workspace_id: 'w1',
      insight_type: 'trending_topic',
      pattern: 'p',
      frequency: 1,
      examples: ['e'],
      confidence: 'low',
      time_range: 'week',
    });
    const results = [
      ...(await actions.getActionsByPriority({ workspace_id: 'w1' }).exec()),
      (await store.brainSummaries.getLatestSummary({ workspace_id: 'w1' }).exec())!,
      ...(await store.brainInsights.getInsightsByWorkspace({ workspace_id: 'w1' }).exec()),
    ];
    for (const result of results) {
      expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
      expect(Object.isFrozen(result)).toBe(true);
      for (const key of ['priority_rank', 'created_desc', '_rev', '_meta', '_deleted', '_attachments'])
        expect(result).not.toHaveProperty(key);
    }
    const summary = results[1] as { metrics: { topQuestions: string[] } };
    expect(Object.isFrozen(summary.metrics.topQuestions)).toBe(true);
    expect(() => summary.metrics.topQuestions.push('x')).toThrow(TypeError);
  });
});
