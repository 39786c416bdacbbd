/**
 * Issue 19 with issue 23's page budget: a first-sync page stops at the server's byte budget
 * (`maxPageBytes`) whatever its row limit, as the pull's does — the rest and the head parts —
 * a document larger than the budget goes alone, and the walk goes on to cover every document
 * once, in order.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../src/collections/all-collections.ts';
import { comparePartOrder, matchesPart } from '../../src/collections/first-sync-parts.ts';
import { insertDocuments } from '../../src/server/documents/document-store.ts';
import { firstSyncPath, type FirstSyncPageResponse } from '../../src/protocol/first-sync-messages.ts';
import type { WireDocument } from '../../src/protocol/messages.ts';
import { startTestServer, syncBackends, type TestServer } from '../helpers/sync-server.ts';
import { action, storedRows, summary, T0 } from './fixtures.ts';

/** About three actions of this file (each ~600–900 bytes of JSON). */
const BUDGET = 2_400;
const bytesOf = (doc: unknown) => Buffer.byteLength(JSON.stringify(doc));

describe.each(await syncBackends())('first-sync pages bounded in bytes on %s', (backend) => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({ backend, rateLimit: false, limits: { maxPageBytes: BUDGET } });
    token = await server.token(['w1']);
  });
  afterAll(() => server?.close());
  beforeEach(() => server.reset());

  async function seed(collection: string, docs: readonly WireDocument[]): Promise<void> {
    await insertDocuments(server.sql, collection, storedRows(docs), T0);
  }

  /** Every page of one part of w1, following `after` to the end. */
  async function walk(at: TestServer, collection: string, part: string): Promise<WireDocument[][]> {
    const pages: WireDocument[][] = [];
    let after: string | null = null;
    do {
      const response = await fetch(at.url + firstSyncPath(collection), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ step: 'page', workspace: 'w1', part, after, limit: 5_000 }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as FirstSyncPageResponse;
      pages.push(body.documents);
      after = body.after;
    } while (after !== null && pages.length < 1_000);
    return pages;
  }

  /** The server counts the JSON text PostgreSQL renders, never shorter than JSON.stringify's. */
  const underBudgetBeforeLast = (page: readonly WireDocument[]) => page.slice(0, -1).reduce((sum, doc) => sum + bytesOf(doc), 0) < BUDGET;

  it('the rest of a collection comes in pages cut at the byte budget, not at the row limit of 5000, each document once', async () => {
    const docs = Array.from({ length: 30 }, (_, index) => action('w1', { reason: `follow up ${'x'.repeat(index * 20)}` }));
    await seed('brainActions', docs);
    const pages = await walk(server, 'brainActions', 'rest');
    expect(pages.every(underBudgetBeforeLast)).toBe(true);
    const total = docs.reduce((sum, doc) => sum + bytesOf(doc), 0);
    expect(pages.length).toBeGreaterThanOrEqual(Math.floor(total / BUDGET));
    expect(pages.flat().map((doc) => doc.id)).toEqual(
      docs
        .map((doc) => doc.id)
        .sort()
        .reverse(),
    );
  });

  it('a head part cut by bytes continues where it stopped and brings the same head, in its order', async () => {
    const latest = COLLECTIONS.brainSummaries.firstSync[0]!;
    const docs = Array.from({ length: latest.limit + 5 }, (_, index) => ({
      ...summary(`s-${String(index).padStart(3, '0')}`, T0 + ((index * 7) % 31) * 1_000 + index),
      summary_text: 'y'.repeat(100 + index * 30),
    }));
    await seed('brainSummaries', docs);
    const pages = await walk(server, 'brainSummaries', latest.name);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every(underBudgetBeforeLast)).toBe(true);
    const expected = docs
      .filter((doc) => matchesPart(latest, doc))
      .sort(comparePartOrder(latest))
      .slice(0, latest.limit);
    expect(pages.flat().map((doc) => doc.id)).toEqual(expected.map((doc) => doc.id));
  });

  it('a document larger than the budget goes alone, and the walk goes on past it', async () => {
    const tiny = await startTestServer({ backend, rateLimit: false, limits: { maxPageBytes: 64 } });
    try {
      const docs = Array.from({ length: 4 }, () => action('w1'));
      expect(docs.every((doc) => bytesOf(doc) > 64)).toBe(true);
      await seed('brainActions', docs);
      const rest = await walk(tiny, 'brainActions', 'rest');
      expect(rest.filter((page) => page.length > 0).map((page) => page.length)).toEqual([1, 1, 1, 1]);
      expect(rest.flat().map((doc) => doc.id)).toEqual(
        docs
          .map((doc) => doc.id)
          .sort()
          .reverse(),
      );
      const head = await walk(tiny, 'brainActions', 'urgent');
      expect(head.filter((page) => page.length > 0).map((page) => page.length)).toEqual([1, 1, 1, 1]);
      expect(new Set(head.flat().map((doc) => doc.id))).toEqual(new Set(docs.map((doc) => doc.id)));
    } finally {
      await tiny.close();
    }
  });

  it("charges a page's bytes to the subject's cost budget: pages past it are refused 429 until the window ends", async () => {
    // Bytes only (rows unbounded): about 100 actions of JSON are over this budget.
    const budgeted = await startTestServer({
      backend,
      rateLimit: false,
      limits: { maxRowsPerSubject: 0, maxBytesPerSubject: 20_000, costWindowMs: 600_000 },
    });
    try {
      await seed(
        'brainActions',
        Array.from({ length: 100 }, () => action('w1')),
      );
      const page = () =>
        fetch(budgeted.url + firstSyncPath('brainActions'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ step: 'page', workspace: 'w1', part: 'rest', after: null, limit: 5_000 }),
        });
      const first = await page();
      expect(first.status).toBe(200);
      expect(((await first.json()) as FirstSyncPageResponse).documents).toHaveLength(100);
      const second = await page();
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).not.toBeNull();
    } finally {
      await budgeted.close();
    }
  });

  it('refuses a head part continued from something else than a count of its documents', async () => {
    for (const after of ['abc', '-1', '999999']) {
      const response = await fetch(server.url + firstSyncPath('brainActions'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ step: 'page', workspace: 'w1', part: 'urgent', after, limit: 10 }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.message).toContain('after');
    }
  });
});
