/**
 * Issue 19, a resync after a long absence: the server's reads restricted to what changed
 * since the checkpoint a device's pull holds — the count per workspace (what the pull would
 * bring, deletes included), the head part of the changed documents in its declared order
 * (property), the held documents' current versions (deleted and no-longer-pending ones too),
 * pages within the byte budget, tenancy, and the checkpoint checked as the pull checks it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COLLECTIONS } from '../../src/collections/all-collections.ts';
import { comparePartOrder, matchesPart } from '../../src/collections/first-sync-parts.ts';
import { insertDocuments, updateDocuments } from '../../src/server/documents/document-store.ts';
import { firstSyncPath, type FirstSyncPageResponse, type ResyncBeginResponse } from '../../src/protocol/first-sync-messages.ts';
import { endpoints } from '../../src/protocol/endpoints.ts';
import type { PullResponse, SyncCheckpoint, WireDocument } from '../../src/protocol/messages.ts';
import { fuzzSettings } from '../helpers/fuzz-settings.ts';
import { startTestServer, syncBackends, type TestServer } from '../helpers/sync-server.ts';
import { action, storedRows, T0 } from './fixtures.ts';

/** About three actions of this file (each ~600–900 bytes of JSON). */
const BUDGET = 2_400;
const urgent = COLLECTIONS.brainActions.firstSync[0]!;
const fuzz = fuzzSettings('first-sync-resync', 8);

describe.each(await syncBackends())('resync reads on %s (issue 19)', (backend) => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({ backend, rateLimit: false, limits: { maxPageBytes: BUDGET } });
    token = await server.token(['w1', 'w2']);
  });
  afterAll(() => server?.close());
  beforeEach(() => server.reset());

  async function post<T>(body: unknown, as = token, path = firstSyncPath('brainActions')): Promise<{ status: number; body: T }> {
    const response = await fetch(server.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${as}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  const seed = (docs: readonly WireDocument[], deleted = false) =>
    insertDocuments(server.sql, 'brainActions', storedRows(docs, deleted), T0);
  const rewrite = (docs: readonly WireDocument[], deleted = false) =>
    updateDocuments(server.sql, 'brainActions', storedRows(docs, deleted), T0);

  /** Pulls from `from` until nothing more comes: the last checkpoint, and the last version of every document brought. */
  async function pullAll(
    from: SyncCheckpoint | null,
    as = token,
  ): Promise<{ checkpoint: SyncCheckpoint; seen: Map<string, WireDocument> }> {
    const seen = new Map<string, WireDocument>();
    let checkpoint = from;
    for (;;) {
      const { body }: { body: PullResponse } = await post<PullResponse>(
        { checkpoint, batchSize: 5_000 },
        as,
        endpoints.pull('brainActions'),
      );
      for (const doc of body.documents) seen.set(doc.id, doc);
      checkpoint = body.checkpoint;
      if (body.documents.length === 0) return { checkpoint: checkpoint!, seen };
    }
  }

  /** The checkpoint a device holds once it has pulled everything (what it goes away with). */
  const caughtUp = async (as = token) => (await pullAll(null, as)).checkpoint;
  /** Every document a pull from `since` brings (the ids, last version of each). */
  const pulledSince = async (since: SyncCheckpoint) => (await pullAll(since)).seen;

  /** Every page of a (since-restricted) part of w1, following `after`. */
  async function walkHead(since: SyncCheckpoint, workspace = 'w1'): Promise<WireDocument[][]> {
    const pages: WireDocument[][] = [];
    let after: string | null = null;
    do {
      const { status, body }: { status: number; body: FirstSyncPageResponse } = await post<FirstSyncPageResponse>({
        step: 'page',
        workspace,
        part: 'urgent',
        after,
        limit: 5_000,
        since,
      });
      expect(status).toBe(200);
      pages.push(body.documents);
      after = body.after;
    } while (after !== null && pages.length < 1_000);
    return pages;
  }

  it('begin with since counts what the pull from it would bring, per workspace of the token, deletes included', async () => {
    const old = Array.from({ length: 6 }, () => action('w1'));
    await seed([...old, action('w2'), action('w3')]);
    const since = await caughtUp();
    // Away: two new in w1, one edited and one deleted in w1, one new in w2, three in w3 (not the token's).
    await seed([action('w1'), action('w1', { status: 'dismissed', status_at: T0 + 1 }), action('w2')]);
    await rewrite([{ ...old[0]!, priority: 99, priority_rank: 1 }]);
    await rewrite([old[1]!], true);
    await seed([action('w3'), action('w3'), action('w3')]);
    const { status, body } = await post<ResyncBeginResponse>({ step: 'begin', since });
    expect(status).toBe(200);
    const pulled = await pulledSince(since);
    expect(body.changed).toEqual({ w1: 4, w2: 1 });
    expect(body.changed['w1']! + body.changed['w2']!).toBe(pulled.size);
    // The urgent head of what changed: the pending ones (new, edited), not the dismissed or deleted one.
    expect(body.heads).toEqual({ urgent: { w1: 2, w2: 1 } });
    expect(body.parts).toEqual([{ name: 'urgent', limit: urgent.limit }]);
    expect('checkpoint' in body).toBe(false);
  });

  it('the urgent part with since is the head of the changed pending documents, in the declared order, within the byte budget (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            priority: fc.integer({ min: 0, max: 100 }),
            created: fc.integer({ min: 0, max: 5 }),
            change: fc.constantFrom('none', 'none', 'priority', 'dismiss', 'delete'),
            newPriority: fc.integer({ min: 0, max: 100 }),
          }),
          { minLength: 0, maxLength: 40 },
        ),
        fc.integer({ min: 0, max: 15 }),
        async (specs, added) => {
          await server.reset();
          const docs = specs.map((spec) =>
            action('w1', { priority: spec.priority, priority_rank: 100 - spec.priority, created_at: T0 + spec.created }),
          );
          await seed(docs);
          const since = await caughtUp();
          const now = new Map(docs.map((doc) => [doc.id, doc]));
          for (const [index, spec] of specs.entries()) {
            const doc = docs[index]!;
            if (spec.change === 'priority') now.set(doc.id, { ...doc, priority: spec.newPriority, priority_rank: 100 - spec.newPriority });
            if (spec.change === 'dismiss') now.set(doc.id, { ...doc, status: 'dismissed', status_at: T0 + 10 });
            if (spec.change === 'delete') now.set(doc.id, { ...doc, _deleted: true });
          }
          const changed = docs.filter((_, index) => specs[index]!.change !== 'none').map((doc) => now.get(doc.id)!);
          for (const doc of changed) await rewrite([doc], doc._deleted);
          const fresh = Array.from({ length: added }, (_, index) =>
            action('w1', { priority: (index * 37) % 101, priority_rank: 100 - ((index * 37) % 101) }),
          );
          await seed(fresh);
          const expected = [...changed, ...fresh]
            .filter((doc) => !doc._deleted && matchesPart(urgent, doc))
            .sort(comparePartOrder(urgent))
            .slice(0, urgent.limit)
            .map((doc) => doc.id);
          const pages = await walkHead(since);
          expect(pages.flat().map((doc) => doc.id)).toEqual(expected);
          expect(pages.flat().every((doc) => doc._deleted === false)).toBe(true);
          // Cut by the budget: only the last row of a page may take it past the budget.
          for (const page of pages)
            expect(page.slice(0, -1).reduce((sum, doc) => sum + JSON.stringify(doc).length, 0)).toBeLessThan(BUDGET);
          const begin = await post<ResyncBeginResponse>({ step: 'begin', since });
          expect(begin.body.heads['urgent']?.['w1'] ?? 0).toBe(expected.length);
          expect(begin.body.changed['w1']).toBe(changed.length + added);
        },
      ),
      fuzz,
    );
  });

  it('held: of the ids named, the current version of those changed since, deleted and dismissed ones included; in pages within the budget', async () => {
    const docs = Array.from({ length: 12 }, (_, index) => action('w1', { reason: `r ${'x'.repeat(index * 40)}` }));
    await seed(docs);
    const since = await caughtUp();
    const deleted = docs.slice(0, 3);
    const dismissed = docs.slice(3, 6).map((doc) => ({ ...doc, status: 'dismissed', status_at: T0 + 5 }));
    const lowered = docs.slice(6, 9).map((doc) => ({ ...doc, priority: 1, priority_rank: 99 }));
    await rewrite(deleted, true);
    await rewrite([...dismissed, ...lowered]);
    const expected = new Map<string, WireDocument>([
      ...deleted.map((doc) => [doc.id, { ...doc, _deleted: true }] as const),
      ...[...dismissed, ...lowered].map((doc) => [doc.id, doc] as const),
    ]);
    let remaining = docs.map((doc) => doc.id);
    const received = new Map<string, WireDocument>();
    let requests = 0;
    while (remaining.length > 0) {
      const { status, body } = await post<FirstSyncPageResponse>({ step: 'held', workspace: 'w1', since, ids: remaining });
      expect(status).toBe(200);
      requests += 1;
      for (const doc of body.documents) received.set(doc.id, doc);
      if (body.after === null) break;
      remaining = remaining.filter((id) => !received.has(id));
    }
    expect(received).toEqual(expected);
    // Nine changed documents of up to ~1.3 kB each do not fit one page of 2.4 kB.
    expect(requests).toBeGreaterThan(1);
  });

  it('tenancy: other workspaces are neither counted nor read', async () => {
    const mine = action('w1');
    const theirs = action('w3');
    await seed([mine, theirs]);
    const narrow = await server.token(['w1']);
    const since = await caughtUp(narrow);
    await rewrite([
      { ...mine, priority: 90, priority_rank: 10 },
      { ...theirs, priority: 90, priority_rank: 10 },
    ]);
    await seed([action('w3'), action('w2')]);
    const begin = await post<ResyncBeginResponse>({ step: 'begin', since }, narrow);
    expect(begin.body.changed).toEqual({ w1: 1 });
    expect(begin.body.heads).toEqual({ urgent: { w1: 1 } });
    const page = await post<{ error: { code: string } }>(
      { step: 'page', workspace: 'w3', part: 'urgent', after: null, limit: 10, since },
      narrow,
    );
    expect(page.status).toBe(403);
    expect(page.body.error.code).toBe('FORBIDDEN_WORKSPACE');
    const held = await post<{ error: { code: string } }>({ step: 'held', workspace: 'w3', since, ids: [theirs.id] }, narrow);
    expect(held.status).toBe(403);
    // A w1 request naming a w3 id reads w1 only.
    const crossed = await post<FirstSyncPageResponse>({ step: 'held', workspace: 'w1', since, ids: [theirs.id, mine.id] }, narrow);
    expect(crossed.body.documents.map((doc) => doc.id)).toEqual([mine.id]);
  });

  it('a forged or out-of-bounds since is refused with 400 at checkpoint, as the pull refuses it; rest is never read since', async () => {
    await seed([action('w1')]);
    const since = await caughtUp();
    const forged = {
      ...since,
      snap: since.snap.replace(/^(\d+):(\d+):/, (_, xmin: string, xmax: string) => `${xmin}:${BigInt(xmax) + 5n}:`),
    };
    for (const body of [
      { step: 'begin', since: forged },
      { step: 'page', workspace: 'w1', part: 'urgent', after: null, limit: 10, since: forged },
      { step: 'held', workspace: 'w1', since: forged, ids: ['a'] },
    ]) {
      const refused = await post<{ error: { code: string; issues: { path: string[] }[] } }>(body);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('BAD_REQUEST');
      expect(refused.body.error.issues[0]?.path[0]).toBe('checkpoint');
    }
    const pull = await post<{ error: { issues: { path: string[] }[] } }>(
      { checkpoint: forged, batchSize: 10 },
      token,
      endpoints.pull('brainActions'),
    );
    expect(pull.status).toBe(400);
    const rest = await post<{ error: { code: string } }>({ step: 'page', workspace: 'w1', part: 'rest', after: null, limit: 10, since });
    expect(rest.status).toBe(400);
    // Another database's checkpoint: nothing is "changed since" it (the pull starts over).
    const elsewhere = { ...since, server: 'another-db.1' };
    const begin = await post<ResyncBeginResponse>({ step: 'begin', since: elsewhere });
    expect(begin.status).toBe(200);
    expect(begin.body.changed).toEqual({ w1: 0, w2: 0 });
  });
});
