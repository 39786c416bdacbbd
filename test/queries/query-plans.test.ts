import { describe, expect, it, vi } from 'vitest';
import type { RxQuery, RxQueryPlan } from 'rxdb';
import type { BrainStore } from '../../src/index.ts';
import { STORAGES } from '../helpers/storages.ts';
import { T0, actionDoc, storesWithClock } from './fixtures.ts';

/** The plan RxDB's storage runs for each read: captured from the RxQuery the read builds. */
function plansOf(store: BrainStore, run: () => unknown): RxQueryPlan[] {
  const plans: RxQueryPlan[] = [];
  const spies = (['brainSummaries', 'brainInsights', 'brainActions'] as const).map((name) => {
    const collection = store.database[name];
    const find = collection.find.bind(collection);
    return vi.spyOn(collection, 'find').mockImplementation(((query: never) => {
      const rxQuery = find(query) as RxQuery;
      plans.push(rxQuery.getPreparedQuery().queryPlan);
      return rxQuery;
    }) as never);
  });
  try {
    run();
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  return plans;
}

/** Every read, with the index it is meant to run on (RxDB prepends _deleted and appends id). */
const READS: [name: string, run: (store: BrainStore) => { exec(): Promise<unknown> }, index: string[]][] = [
  ['getLatestSummary', (s) => s.brainSummaries.getLatestSummary({ workspace_id: 'w1' }), ['workspace_id', 'created_desc']],
  ['getSummariesByWorkspace', (s) => s.brainSummaries.getSummariesByWorkspace({ workspace_id: 'w1' }), ['workspace_id', 'created_desc']],
  [
    'getSummariesByWorkspace type',
    (s) => s.brainSummaries.getSummariesByWorkspace({ workspace_id: 'w1', summary_type: 'manual' }),
    ['workspace_id', 'summary_type', 'created_desc'],
  ],
  ['getRecentSummaries', (s) => s.brainSummaries.getRecentSummaries({ workspace_id: 'w1', days: 7 }), ['workspace_id', 'created_desc']],
  ['getInsightsByWorkspace', (s) => s.brainInsights.getInsightsByWorkspace({ workspace_id: 'w1' }), ['workspace_id', 'created_desc']],
  [
    'getInsightsByWorkspace type',
    (s) => s.brainInsights.getInsightsByWorkspace({ workspace_id: 'w1', insight_type: 'trending_topic' }),
    ['workspace_id', 'insight_type', 'created_desc'],
  ],
  [
    'getInsightsByWorkspace range',
    (s) => s.brainInsights.getInsightsByWorkspace({ workspace_id: 'w1', time_range: 'week' }),
    ['workspace_id', 'time_range', 'created_desc'],
  ],
  [
    'getInsightsByWorkspace type+range',
    (s) => s.brainInsights.getInsightsByWorkspace({ workspace_id: 'w1', insight_type: 'trending_topic', time_range: 'week' }),
    ['workspace_id', 'insight_type', 'time_range', 'created_desc'],
  ],
  [
    'getActionsByWorkspace',
    (s) => s.brainActions.getActionsByWorkspace({ workspace_id: 'w1' }),
    ['workspace_id', 'status', 'priority_rank', 'created_desc'],
  ],
  [
    'getActionsByWorkspace actioned',
    (s) => s.brainActions.getActionsByWorkspace({ workspace_id: 'w1', status: 'actioned' }),
    ['workspace_id', 'status', 'priority_rank', 'created_desc'],
  ],
  [
    'getActionsByPriority',
    (s) => s.brainActions.getActionsByPriority({ workspace_id: 'w1' }),
    ['workspace_id', 'status', 'priority_rank', 'created_desc'],
  ],
  [
    'getActionsByPriority urgency',
    (s) => s.brainActions.getActionsByPriority({ workspace_id: 'w1', urgency: 'today' }),
    ['workspace_id', 'status', 'urgency', 'priority_rank', 'created_desc'],
  ],
];

describe.each(STORAGES)('query plans on $name', ({ make }) => {
  const setup = storesWithClock(make);

  it.each(READS)('%s runs on its index, sorted by it, within the workspace key range', async (_read, run, index) => {
    const { store } = await setup();
    const plans = plansOf(store, () => void run(store).exec());
    expect(plans).toHaveLength(1);
    const [plan] = plans as [RxQueryPlan];
    expect(plan.index).toEqual(['_deleted', ...index, 'id']);
    expect(plan.sortSatisfiedByIndex).toBe(true);
    // The range is bounded on _deleted and workspace_id (equalities), so no other workspace is read.
    expect(plan.startKeys.slice(0, 2)).toEqual([false, 'w1']);
    expect(plan.endKeys.slice(0, 2)).toEqual([false, 'w1']);
    // The hinted index is one the schema declares (Dexie would throw on a missing one).
    const declared = Object.values(store.database.collections).flatMap((c) => (c.schema.indexes as string[][]).map((i) => i.join(',')));
    expect(declared).toContain(plan.index.join(','));
  });
});

// Cursor steps are an IndexedDB notion: this one runs on Dexie (fake-indexeddb) only.
describe('index walk on Dexie', () => {
  const setup = storesWithClock(STORAGES.find((storage) => storage.name === 'dexie')!.make);

  it('getActionsByPriority top 20 over 3,000 pending actions steps the cursor ~20 times, not 3,000', async () => {
    const { store } = await setup();
    // Bulk-load through the storage: 3,000 single creates on fake-indexeddb would dominate the run.
    await store.database.brainActions.bulkInsert(
      Array.from({ length: 3_000 }, (_, i) => actionDoc(`a${String(i).padStart(5, '0')}`, { created_at: T0, priority: i % 101 })),
    );
    // Loaded lazily: importing it before 'fake-indexeddb' itself trips a module cycle.
    const cursorModule: string = 'fake-indexeddb/lib/FDBCursor'; // untyped subpath
    const { default: FDBCursor } = (await import(cursorModule)) as { default: { prototype: { continue(key?: unknown): void } } };
    const steps = vi.spyOn(FDBCursor.prototype, 'continue');
    try {
      const top = await store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec();
      expect(top).toHaveLength(20);
      expect(top.every((a) => a.priority === 100)).toBe(true);
      expect(steps.mock.calls.length).toBeGreaterThanOrEqual(19); // the spy sees the cursor at all
      expect(steps.mock.calls.length).toBeLessThanOrEqual(25);
    } finally {
      steps.mockRestore();
    }
  });
});
