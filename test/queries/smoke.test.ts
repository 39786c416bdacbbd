import { describe, expect, it } from 'vitest';
import { STORAGES, openStore } from '../helpers/storages.ts';

describe.each(STORAGES)('smoke on $name', ({ make }) => {
  it('creates and reads an action', async () => {
    let t = 1_700_000_000_000;
    const store = await openStore(make, { now: () => t });
    const id = await store.brainActions.createActionRecommendation({
      workspace_id: 'w1',
      contact_id: 'c1',
      action_type: 'follow_up',
      priority: 80,
      urgency: 'today',
      reason: 'r',
    });
    const list = await store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec();
    expect(list.map((a) => a.id)).toEqual([id]);
    expect(list[0]).not.toHaveProperty('priority_rank');
    t += 86_400_000;
    expect(await store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec()).toEqual([]);
    expect(await store.brainActions.cleanupExpiredActions()).toBe(1);
    const expired = await store.brainActions.getActionsByWorkspace({ workspace_id: 'w1', status: 'expired' }).exec();
    expect(expired[0]).toMatchObject({ status: 'expired', status_at: 1_700_086_400_000 });
    await store.close();
  });
});
