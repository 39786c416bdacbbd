import { describe, expect, it } from 'vitest';
import { BrainStoreError } from '../../src/index.ts';
import { STORAGES } from '../helpers/storages.ts';
import { T0, insightArgs, storesWithClock } from './fixtures.ts';

describe.each(STORAGES)('brainInsights on $name', ({ make }) => {
  const setup = storesWithClock(make);

  it('createInsight returns the id; the stored insight is the input plus id and created_at', async () => {
    const { insights } = await setup();
    const args = insightArgs({ recommendation: 'send the price list' });
    const id = await insights.createInsight(args);
    expect(await insights.getInsightsByWorkspace({ workspace_id: 'w1' }).exec()).toEqual([{ ...args, id, created_at: T0 }]);
  });

  it('bulkCreateInsights returns ids in input order and writes them all', async () => {
    const { insights } = await setup();
    const batch = Array.from({ length: 30 }, (_, i) => insightArgs({ pattern: `p${i}` }));
    const ids = await insights.bulkCreateInsights({ insights: batch });
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    const stored = await insights.getInsightsByWorkspace({ workspace_id: 'w1', limit: 100 }).exec();
    const patternById = new Map(stored.map((s) => [s.id, s.pattern]));
    expect(ids.map((id) => patternById.get(id))).toEqual(batch.map((b) => b.pattern));
  });

  it('bulkCreateInsights is all or nothing: one bad item writes nothing and names its index', async () => {
    const { insights } = await setup();
    const batch = Array.from({ length: 5 }, () => insightArgs());
    (batch[3] as { confidence: string }).confidence = 'certain';
    const error = await insights.bulkCreateInsights({ insights: batch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrainStoreError);
    expect(error).toMatchObject({ code: 'VALIDATION', issues: [expect.objectContaining({ path: ['insights', 3, 'confidence'] })] });
    expect(await insights.getInsightsByWorkspace({ workspace_id: 'w1' }).exec()).toEqual([]);
  });

  it('bulkCreateInsights reports every bad item, and refuses an empty batch', async () => {
    const { insights } = await setup();
    const batch = [insightArgs(), insightArgs({ frequency: -1 }), insightArgs(), insightArgs({ frequency: 1.5 })];
    const error = (await insights.bulkCreateInsights({ insights: batch }).catch((e: unknown) => e)) as BrainStoreError;
    expect(error.issues.map((i) => i.path)).toEqual([
      ['insights', 1, 'frequency'],
      ['insights', 3, 'frequency'],
    ]);
    await expect(insights.bulkCreateInsights({ insights: [] })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [expect.objectContaining({ path: ['insights'] })],
    });
    expect(await insights.getInsightsByWorkspace({ workspace_id: 'w1' }).exec()).toEqual([]);
  });

  it('getInsightsByWorkspace: newest first, filters by type and time range, limit default 20', async () => {
    const { clock, insights } = await setup();
    const made: { id: string; insight_type: string; time_range: string }[] = [];
    const types = ['trending_topic', 'objection_pattern'] as const;
    const ranges = ['today', 'week', 'month'] as const;
    for (let i = 0; i < 30; i++) {
      const args = insightArgs({ insight_type: types[i % 2]!, time_range: ranges[i % 3]! });
      made.push({ id: await insights.createInsight(args), insight_type: args.insight_type, time_range: args.time_range });
      clock.advance(10);
    }
    await insights.createInsight(insightArgs({ workspace_id: 'w2' }));
    const newest = [...made].reverse();
    const ids = (list: { id: string }[]) => list.map((x) => x.id);
    expect(ids(await insights.getInsightsByWorkspace({ workspace_id: 'w1' }).exec())).toEqual(ids(newest.slice(0, 20)));
    expect(ids(await insights.getInsightsByWorkspace({ workspace_id: 'w1', limit: 3 }).exec())).toEqual(ids(newest.slice(0, 3)));
    expect(ids(await insights.getInsightsByWorkspace({ workspace_id: 'w1', insight_type: 'objection_pattern' }).exec())).toEqual(
      ids(newest.filter((x) => x.insight_type === 'objection_pattern')),
    );
    expect(ids(await insights.getInsightsByWorkspace({ workspace_id: 'w1', time_range: 'week' }).exec())).toEqual(
      ids(newest.filter((x) => x.time_range === 'week')),
    );
    expect(
      ids(await insights.getInsightsByWorkspace({ workspace_id: 'w1', insight_type: 'trending_topic', time_range: 'month' }).exec()),
    ).toEqual(ids(newest.filter((x) => x.insight_type === 'trending_topic' && x.time_range === 'month')));
    expect(await insights.getInsightsByWorkspace({ workspace_id: 'w1', insight_type: 'interest_signal' }).exec()).toEqual([]);
    expect(ids(await insights.getInsightsByWorkspace({ workspace_id: 'w1', limit: 100 }).exec())).toHaveLength(30);
  });
});
