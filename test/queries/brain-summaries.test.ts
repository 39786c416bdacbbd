import { describe, expect, it } from 'vitest';
import { STORAGES } from '../helpers/storages.ts';
import { DAY, HOUR, T0, storesWithClock, summaryArgs } from './fixtures.ts';

describe.each(STORAGES)('brainSummaries on $name', ({ make }) => {
  const setup = storesWithClock(make);

  it('createSummary returns the id and stamps created_at with the injected clock', async () => {
    const { summaries } = await setup();
    const args = summaryArgs({
      triggered_by: 'u1',
      tokens_used: 10,
      cost_usd: 0.02,
      metrics: {
        newLeadsCount: 1,
        hotLeadsCount: 0,
        warmLeadsCount: 0,
        coldLeadsCount: 1,
        responseRate: 42.5,
        avgScore: 7,
        topQuestions: ['price?'],
        rejectionReasons: [],
      },
    });
    const id = await summaries.createSummary(args);
    expect(typeof id).toBe('string');
    expect(await summaries.getLatestSummary({ workspace_id: 'w1' }).exec()).toEqual({ ...args, id, created_at: T0 });
  });

  it('getLatestSummary is null for an empty workspace and the newest otherwise', async () => {
    const { clock, summaries } = await setup();
    expect(await summaries.getLatestSummary({ workspace_id: 'w1' }).exec()).toBeNull();
    await summaries.createSummary(summaryArgs({ summary_text: 'first' }));
    clock.advance(1);
    const newest = await summaries.createSummary(summaryArgs({ summary_text: 'second', summary_type: 'manual' }));
    clock.advance(1);
    await summaries.createSummary(summaryArgs({ workspace_id: 'w2' }));
    expect((await summaries.getLatestSummary({ workspace_id: 'w1' }).exec())?.id).toBe(newest);
    expect(await summaries.getLatestSummary({ workspace_id: 'w3' }).exec()).toBeNull();
  });

  it('getSummariesByWorkspace: newest first, type filter, limit default 10 and at most 100', async () => {
    const { clock, summaries } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 105; i++) {
      ids.push(await summaries.createSummary(summaryArgs({ summary_type: i % 3 === 0 ? 'manual' : 'daily' })));
      clock.advance(1_000);
    }
    await summaries.createSummary(summaryArgs({ workspace_id: 'other' }));
    const newestFirst = [...ids].reverse();
    const page = await summaries.getSummariesByWorkspace({ workspace_id: 'w1' }).exec();
    expect(page.map((s) => s.id)).toEqual(newestFirst.slice(0, 10));
    expect((await summaries.getSummariesByWorkspace({ workspace_id: 'w1', limit: 100 }).exec()).map((s) => s.id)).toEqual(
      newestFirst.slice(0, 100),
    );
    expect((await summaries.getSummariesByWorkspace({ workspace_id: 'w1', limit: 1 }).exec()).map((s) => s.id)).toEqual(
      newestFirst.slice(0, 1),
    );
    const manual = await summaries.getSummariesByWorkspace({ workspace_id: 'w1', summary_type: 'manual', limit: 100 }).exec();
    expect(manual.map((s) => s.id)).toEqual(newestFirst.filter((_, i) => (104 - i) % 3 === 0).slice(0, 100));
    expect(await summaries.getSummariesByWorkspace({ workspace_id: 'w1', summary_type: 'scheduled' }).exec()).toEqual([]);
    expect(() => summaries.getSummariesByWorkspace({ workspace_id: 'w1', limit: 101 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  });

  it('same-millisecond summaries come back in a stable order (by id)', async () => {
    const { summaries } = await setup();
    const ids = [await summaries.createSummary(summaryArgs()), await summaries.createSummary(summaryArgs())];
    const page = await summaries.getSummariesByWorkspace({ workspace_id: 'w1' }).exec();
    expect(page.map((s) => s.id)).toEqual([...ids].sort());
  });

  it('getRecentSummaries: the window is `days` (default 1) back from the injected clock, inclusive', async () => {
    const { clock, summaries } = await setup();
    const old = await summaries.createSummary(summaryArgs({ summary_text: 'old' })); // T0
    clock.advance(12 * HOUR);
    const mid = await summaries.createSummary(summaryArgs({ summary_text: 'mid' })); // T0 + 12h
    await summaries.createSummary(summaryArgs({ workspace_id: 'w2' }));
    clock.set(T0 + DAY); // `old` is exactly one day old: still inside
    expect((await summaries.getRecentSummaries({ workspace_id: 'w1' }).exec()).map((s) => s.id)).toEqual([mid, old]);
    clock.set(T0 + DAY + 1);
    expect((await summaries.getRecentSummaries({ workspace_id: 'w1' }).exec()).map((s) => s.id)).toEqual([mid]);
    expect((await summaries.getRecentSummaries({ workspace_id: 'w1', days: 2 }).exec()).map((s) => s.id)).toEqual([mid, old]);
    expect((await summaries.getRecentSummaries({ workspace_id: 'w1', days: 0.25 }).exec()).map((s) => s.id)).toEqual([]);
    clock.set(T0 + 3 * DAY);
    expect(await summaries.getRecentSummaries({ workspace_id: 'w1' }).exec()).toEqual([]);
  });

  it('getRecentSummaries $ drops a summary when it leaves the window, by the clock alone', async () => {
    const { clock, summaries } = await setup();
    const id = await summaries.createSummary(summaryArgs());
    const seen: string[][] = [];
    const sub = summaries
      .getRecentSummaries({ workspace_id: 'w1', days: 1 / 86_400 })
      .$.subscribe((list) => seen.push(list.map((s) => s.id)));
    await expect.poll(() => seen).toEqual([[id]]);
    clock.set(T0 + 1_001); // the real timer (≈1 s) fires and finds the injected clock past the window
    await expect.poll(() => seen, { timeout: 5_000 }).toEqual([[id], []]);
    sub.unsubscribe();
  });
});
