import { describe, expect, it } from 'vitest';
import { BrainStoreError } from '../../src/errors/brain-store-error.ts';
import { assertDocumentSize } from '../../src/queries/query-context.ts';
import { startTestServer, syncBackends } from '../helpers/sync-server.ts';
import { largeSummaryArgs } from '../server/http/limits/large-documents.ts';
import { action, openSyncedStore, sync, firstMatching } from './sync-fixtures.ts';

/**
 * Issue 23 §3: a bot's large documents never wedge its push queue. Before: 12 summaries at
 * the schema's limits went as one 12 MB push, refused TOO_LARGE and retried for ever.
 */
let counter = 0;

/** Counts the pushes a server answered with 413 (the retry loop this issue ends). */
function countingFetch() {
  const state = { tooLarge: 0, pushes: 0 };
  const wrapped: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if ((typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).endsWith('/push')) {
      state.pushes += 1;
      if (response.status === 413) state.tooLarge += 1;
    }
    return response;
  };
  return { state, fetch: wrapped };
}

describe.each(await syncBackends())('large documents sync against %s', (backend) => {
  // The schema's limits (~1 MB each against 8 MiB) scaled down by 4 (~250 KB against 1 MiB
  // and a 512 KiB page): the same arithmetic in a quarter of the bytes.
  it('a bot with 12 large summaries syncs them all under the body limit, and a dashboard pulls them', async () => {
    const ws = `large-${backend}-${++counter}`;
    const server = await startTestServer({ backend, rateLimit: false, limits: { maxBodyBytes: 1024 * 1024, maxPageBytes: 512 * 1024 } });
    const token = await server.token([ws]);
    const bot = await openSyncedStore();
    // Written offline (or before a restart): all twelve wait in one push queue.
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await bot.brainSummaries.createSummary(largeSummaryArgs(ws, 0.25)));
    const counted = countingFetch();
    const botSync = sync(bot, { url: server.url, token, fetch: counted.fetch });
    await botSync.awaitInSync();
    // At most the first push, sent before any answer announced the lowered limit.
    expect(counted.state.tooLarge).toBeLessThanOrEqual(1);
    expect(counted.state.pushes).toBeGreaterThan(1);
    const stored = await server.sql.query<{ count: string | number }>(
      'SELECT count(*) AS count FROM brain_store_documents WHERE workspace_id = $1',
      [ws],
    );
    expect(Number(stored[0]!.count)).toBe(12);

    // A live dashboard pulls them in byte-bounded pages (the server says `more` each time).
    const dashboard = await openSyncedStore();
    const dashboardSync = sync(dashboard, { url: server.url, token });
    await dashboardSync.awaitInSync();
    const pulled = await dashboard.brainSummaries.getSummariesByWorkspace({ workspace_id: ws, limit: 100 }).exec();
    expect(pulled.map((summary) => summary.id).sort()).toEqual([...ids].sort());
    await botSync.cancel();
    await dashboardSync.cancel();
    await server.close();
  }, 180_000);

  it('a row larger than the server announces is a rejected write (TOO_LARGE), never retried, and later writes still sync', async () => {
    const ws = `oversized-${backend}-${++counter}`;
    // A lowered body limit, so one summary (~100 KB) exceeds it on its own.
    const server = await startTestServer({ backend, rateLimit: false, maxBodyBytes: 64 * 1024 });
    const token = await server.token([ws]);
    const bot = await openSyncedStore();
    const counted = countingFetch();
    const botSync = sync(bot, { url: server.url, token, fetch: counted.fetch });
    // One small write first: the server's answer announces its limit.
    await botSync.awaitWrite(await bot.brainActions.createActionRecommendation(action(ws)));
    const big = await bot.brainSummaries.createSummary(largeSummaryArgs(ws, 0.1));
    const rejected = await firstMatching(botSync.rejected$, (list) => list.length > 0);
    expect(rejected[0]).toMatchObject({ code: 'TOO_LARGE', collection: 'brainSummaries' });
    expect(rejected[0]!.document.id).toBe(big);
    const later = await bot.brainActions.createActionRecommendation(action(ws));
    await botSync.awaitWrite(later);
    await botSync.awaitInSync();
    expect(counted.state.tooLarge).toBe(0);
    const stored = await server.sql.query<{ id: string }>('SELECT id FROM brain_store_documents WHERE workspace_id = $1', [ws]);
    expect(stored.map((row) => row.id)).not.toContain(big);
    expect(stored.map((row) => row.id)).toContain(later);
    await botSync.cancel();
    await server.close();
  }, 120_000);
});

describe('a document no push could carry', () => {
  it('is refused at write time with TOO_LARGE naming its largest field', () => {
    const doc = { id: 'x', workspace_id: 'w', summary_text: 'a'.repeat(5_000), metrics: {} };
    expect(() => assertDocumentSize('brainSummaries', doc, ['insights', 3], 1_000)).toThrow(BrainStoreError);
    try {
      assertDocumentSize('brainSummaries', doc, ['insights', 3], 1_000);
    } catch (error) {
      expect(error).toMatchObject({ code: 'TOO_LARGE', parameters: { field: 'summary_text', maxBytes: 1_000 } });
      expect((error as BrainStoreError).issues[0]!.path).toEqual(['insights', 3, 'summary_text']);
    }
    expect(() => assertDocumentSize('brainSummaries', doc, [], 10_000)).not.toThrow();
  });
});
