import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { describe, expect, it } from 'vitest';
import { isBrainStoreError, type BrainStore } from '../../src/index.ts';
import { closingStores } from '../helpers/storages.ts';
import { actionArgs, actionDoc, HOUR, insightArgs, manualClock, summaryArgs, T0 } from './fixtures.ts';

const memory = () => getRxStorageMemory();

/** Everything the store holds, per collection (plain JSON), to prove a refused write wrote nothing. */
async function contents(store: BrainStore) {
  const dump = async (name: 'brainSummaries' | 'brainInsights' | 'brainActions') =>
    (await store.database[name].find().exec()).map((doc) => doc.toJSON(true));
  return { summaries: await dump('brainSummaries'), insights: await dump('brainInsights'), actions: await dump('brainActions') };
}

async function refused(write: Promise<unknown>, code: 'FORBIDDEN_ROLE' | 'CLOCK_SKEW' = 'FORBIDDEN_ROLE') {
  await expect(write).rejects.toSatisfy((error: unknown) => isBrainStoreError(error, code));
}

describe('a store that knows its role refuses what the server would (issue 9.3)', () => {
  const stores = closingStores();
  const seeded = async (options: Parameters<typeof stores.open>[1]) => {
    const clock = manualClock(T0 + HOUR);
    const store = await stores.open(memory, { now: clock.now, ...options });
    // Pending actions as the bot's pulls would bring them (written under the store's API).
    await store.database.brainActions.bulkInsert([
      actionDoc('a1', { created_at: T0 }),
      actionDoc('a2', { created_at: T0 }),
      actionDoc('a3', { created_at: T0, expires_at: T0 + HOUR }),
    ]);
    return { store, clock };
  };

  it('a member: no creates, no actioning in another name; actions as itself, dismisses, expires', async () => {
    const { store } = await seeded({ role: 'member', subject: 'dana' });
    const before = await contents(store);
    await refused(store.brainSummaries.createSummary(summaryArgs()));
    await refused(store.brainInsights.createInsight(insightArgs()));
    await refused(store.brainInsights.bulkCreateInsights({ insights: [insightArgs(), insightArgs()] }));
    await refused(store.brainActions.createActionRecommendation(actionArgs()));
    await refused(store.brainActions.markActionActioned({ action_id: 'a1', actioned_by: 'sam' }));
    expect(await contents(store)).toEqual(before);

    await store.brainActions.markActionActioned({ action_id: 'a1', actioned_by: 'dana' });
    await store.brainActions.dismissAction({ action_id: 'a2' });
    expect(await store.brainActions.cleanupExpiredActions()).toBe(1);
    const statuses = (await store.database.brainActions.find({ sort: [{ id: 'asc' }] }).exec()).map((doc) => [
      doc.id,
      doc.status,
      doc.actioned_by,
    ]);
    expect(statuses).toEqual([
      ['a1', 'actioned', 'dana'],
      ['a2', 'dismissed', undefined],
      ['a3', 'expired', undefined],
    ]);
  });

  it('an operator writes nothing', async () => {
    const { store } = await seeded({ role: 'operator', subject: 'ops' });
    const before = await contents(store);
    await refused(store.brainSummaries.createSummary(summaryArgs()));
    await refused(store.brainActions.createActionRecommendation(actionArgs()));
    await refused(store.brainActions.markActionActioned({ action_id: 'a1', actioned_by: 'ops' }));
    await refused(store.brainActions.dismissAction({ action_id: 'a2' }));
    await refused(store.brainActions.cleanupExpiredActions());
    expect(await contents(store)).toEqual(before);
  });

  it('a bot, and trusted code without a role, write as before', async () => {
    for (const options of [{ role: 'bot' as const, subject: 'the-bot' }, {}]) {
      const { store } = await seeded(options);
      await store.brainSummaries.createSummary(summaryArgs());
      await store.brainInsights.bulkCreateInsights({ insights: [insightArgs(), insightArgs()] });
      await store.brainActions.createActionRecommendation(actionArgs());
      await store.brainActions.markActionActioned({ action_id: 'a1', actioned_by: 'anyone' });
      const { summaries, insights, actions } = await contents(store);
      expect([summaries.length, insights.length, actions.length]).toEqual([1, 2, 4]);
      await store.close();
    }
  });

  it('a member store needs its subject; an unknown role is a CONFIG error', async () => {
    for (const options of [{ role: 'member' as const }, { role: 'admin' as never, subject: 'x' }]) {
      await expect(stores.open(memory, options)).rejects.toSatisfy((error: unknown) => isBrainStoreError(error, 'CONFIG'));
    }
  });
});
