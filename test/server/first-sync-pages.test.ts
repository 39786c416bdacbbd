/**
 * Issue 19: the server's first-sync reads — the checkpoint taken before the reads, totals,
 * the declared head part in its order (property-based), the rest paged by id without gap
 * or repeat, live rows only, and tenancy by token.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COLLECTIONS } from '../../src/collections/all-collections.ts';
import { comparePartOrder, matchesPart } from '../../src/collections/first-sync-parts.ts';
import { insertDocuments } from '../../src/server/documents/document-store.ts';
import { firstSyncPath, type FirstSyncBeginResponse, type FirstSyncPageResponse } from '../../src/protocol/first-sync-messages.ts';
import { endpoints } from '../../src/protocol/endpoints.ts';
import type { PullResponse, WireDocument } from '../../src/protocol/messages.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { action, storedRows, T0 } from './fixtures.ts';

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ backend: 'pglite' });
  token = await server.token(['w1', 'w2']);
});
afterAll(() => server?.close());
beforeEach(() => server.reset());

async function post<T>(path: string, body: unknown, as = token): Promise<{ status: number; body: T }> {
  const response = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${as}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function seed(docs: readonly WireDocument[], deleted = false): Promise<void> {
  await insertDocuments(server.sql, 'brainActions', storedRows(docs, deleted), T0);
}

const urgent = COLLECTIONS.brainActions.firstSync[0]!;

describe('first sync on the server (issue 19)', () => {
  it('begin names a checkpoint taken before the reads, the live totals per workspace and the parts', async () => {
    await seed([action('w1'), action('w1'), action('w2')]);
    await seed([action('w1')], true);
    const { status, body } = await post<FirstSyncBeginResponse>(firstSyncPath('brainActions'), { step: 'begin' });
    expect(status).toBe(200);
    expect(body.totals).toEqual({ w1: 2, w2: 1 });
    expect(body.parts).toEqual([
      { name: 'urgent', limit: urgent.limit },
      { name: 'rest', limit: 0 },
    ]);
    // A write after the checkpoint arrives by a pull from it, and nothing from before does.
    const late = action('w1');
    await seed([late]);
    const pulled = await post<PullResponse>(endpoints.pull('brainActions'), { checkpoint: body.checkpoint, batchSize: 100 });
    expect(pulled.body.documents.map((doc) => doc.id)).toEqual([late.id]);
  });

  it('the urgent part is the head of the pending queue, in the declared order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            priority: fc.integer({ min: 0, max: 100 }),
            created: fc.integer({ min: 0, max: 5 }),
            status: fc.constantFrom('pending', 'pending', 'dismissed'),
          }),
          { minLength: 0, maxLength: 260 },
        ),
        async (specs) => {
          await server.reset();
          const docs = specs.map((spec) =>
            action('w1', {
              priority: spec.priority,
              priority_rank: 100 - spec.priority,
              created_at: T0 + spec.created,
              status_at: spec.status === 'pending' ? T0 + spec.created : T0 + 10,
              created_desc: 10_000_000_000_000 - (T0 + spec.created),
              status: spec.status,
            }),
          );
          await seed(docs);
          const { body } = await post<FirstSyncPageResponse>(firstSyncPath('brainActions'), {
            step: 'page',
            workspace: 'w1',
            part: 'urgent',
            after: null,
            limit: 5000,
          });
          const expected = docs
            .filter((doc) => matchesPart(urgent, doc))
            .sort(comparePartOrder(urgent))
            .slice(0, urgent.limit)
            .map((doc) => doc.id);
          expect(body.documents.map((doc) => doc.id)).toEqual(expected);
          expect(body.after).toBeNull();
        },
      ),
      { numRuns: 15 },
    );
  });

  it('the rest comes in pages by id, newest first, each live document once, tombstones left out', async () => {
    const docs = Array.from({ length: 23 }, () => action('w1'));
    await seed(docs);
    await seed([action('w1'), action('w1')], true);
    await seed([action('w2')]);
    const seen: string[] = [];
    let after: string | null = null;
    let requests = 0;
    do {
      const { body }: { body: FirstSyncPageResponse } = await post<FirstSyncPageResponse>(firstSyncPath('brainActions'), {
        step: 'page',
        workspace: 'w1',
        part: 'rest',
        after,
        limit: 5,
      });
      seen.push(...body.documents.map((doc) => doc.id));
      expect(body.documents.every((doc) => doc._deleted === false && doc['workspace_id'] === 'w1')).toBe(true);
      after = body.after;
      requests += 1;
    } while (after !== null);
    expect(seen).toEqual(
      docs
        .map((doc) => doc.id)
        .sort()
        .reverse(),
    );
    expect(requests).toBe(5);
  });

  it('reads only the workspaces of the token', async () => {
    await seed([action('w3')]);
    const other = await server.token(['w1']);
    const begin = await post<FirstSyncBeginResponse>(firstSyncPath('brainActions'), { step: 'begin' }, other);
    expect(begin.body.totals).toEqual({ w1: 0 });
    const page = await post<{ error: { code: string } }>(
      firstSyncPath('brainActions'),
      { step: 'page', workspace: 'w3', part: 'rest', after: null, limit: 10 },
      other,
    );
    expect(page.status).toBe(403);
    expect(page.body.error.code).toBe('FORBIDDEN_WORKSPACE');
    const bad = await post<{ error: { code: string } }>(firstSyncPath('brainActions'), {
      step: 'page',
      workspace: 'w1',
      part: 'nope',
      after: null,
      limit: 10,
    });
    expect(bad.status).toBe(400);
  });
});
