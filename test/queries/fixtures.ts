import type { RxStorage } from 'rxdb';
import type { CreateActionArgs, CreateInsightArgs, CreateSummaryArgs } from '../../src/index.ts';
import type { BrainActionDocument } from '../../src/collections/brain-actions.ts';
import type { ActionStatus } from '../../src/collections/action-status.ts';
import { descendingTime } from '../../src/collections/fields.ts';
import { closingStores } from '../helpers/storages.ts';

/** Valid create arguments; tests override the fields they care about. */
export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const summaryArgs = (over: Partial<CreateSummaryArgs> = {}): CreateSummaryArgs => ({
  workspace_id: 'w1',
  summary_text: 'Quiet day: 3 new leads.',
  summary_type: 'daily',
  trigger: 'cron',
  metrics: { newLeadsCount: 3, hotLeadsCount: 1, warmLeadsCount: 1, coldLeadsCount: 1 },
  ...over,
});

export const insightArgs = (over: Partial<CreateInsightArgs> = {}): CreateInsightArgs => ({
  workspace_id: 'w1',
  insight_type: 'trending_topic',
  pattern: 'pricing questions',
  frequency: 4,
  examples: ['how much?', 'price list?'],
  confidence: 'high',
  time_range: 'today',
  ...over,
});

export const actionArgs = (over: Partial<CreateActionArgs> = {}): CreateActionArgs => ({
  workspace_id: 'w1',
  contact_id: 'c1',
  action_type: 'follow_up',
  priority: 50,
  urgency: 'today',
  reason: 'asked for pricing twice',
  ...over,
});

/** A valid stored action in workspace w1, for bulk inserts that skip the one-write-per-call API. */
export function actionDoc(
  id: string,
  over: { created_at: number; expires_at?: number; status?: ActionStatus; status_at?: number; priority?: number },
): BrainActionDocument {
  const { created_at, status = 'pending', priority = 50 } = over;
  const expires_at = over.expires_at ?? created_at + DAY;
  const status_at = over.status_at ?? (status === 'pending' ? created_at : status === 'expired' ? expires_at : created_at + 1);
  return {
    id,
    workspace_id: 'w1',
    contact_id: `c-${id}`,
    action_type: 'follow_up',
    priority,
    urgency: 'today',
    reason: 'r',
    status,
    status_at,
    created_at,
    expires_at,
    snoozed_until: 0,
    priority_rank: 100 - priority,
    created_desc: descendingTime(created_at),
    ...(status === 'actioned' ? { actioned_at: status_at, actioned_by: 'u1' } : {}),
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = T0) {
  let time = start;
  return {
    now: () => time,
    set: (to: number) => void (time = to),
    advance: (ms: number) => void (time += ms),
  };
}

/**
 * The setup of a describe block over one storage: registers closingStores, and each call
 * opens a fresh store whose clock the test moves by hand (from T0).
 */
export function storesWithClock(make: () => RxStorage<any, any>) {
  const stores = closingStores();
  return async () => {
    const clock = manualClock();
    const store = await stores.open(make, { now: clock.now });
    return { clock, store, actions: store.brainActions, summaries: store.brainSummaries, insights: store.brainInsights };
  };
}

/** Lets real macrotasks (fake-indexeddb's setImmediate) run without moving a fake clock. */
export async function flushWithoutTime(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
