import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestBackend, type TestServer } from '../../helpers/sync-server.ts';
import { action, client, summary } from '../fixtures.ts';
import { checkpointDatabase } from '../../../src/protocol/messages.ts';

/** Push semantics (insert, update, conflict, resend) and pull order, batch boundaries included. */
export function pushPullContract(backend: TestBackend): void {
  describe('push and pull', () => {
    let server: TestServer;
    let api: ReturnType<typeof client>;
    beforeAll(async () => {
      server = await startTestServer({ backend });
      api = client(server.url, await server.token(['w1']));
    });
    afterAll(() => server.close());
    beforeEach(() => server.reset());

    it('inserts, pulls with a checkpoint, and an empty pull keeps the checkpoint', async () => {
      const doc = action('w1');
      expect((await api.push('brainActions', [{ newDocumentState: doc }])).body).toEqual({ conflicts: [], rejected: [] });
      const first = await api.pull('brainActions', null);
      expect(first.status).toBe(200);
      expect(first.body.documents).toEqual([doc]);
      expect(first.body.checkpoint).toMatchObject({ tx: expect.stringMatching(/^\d+$/), seq: expect.stringMatching(/^\d+$/) });
      const again = await api.pull('brainActions', first.body.checkpoint);
      expect(again.body.documents).toEqual([]);
      if (backend === 'pglite') expect(again.body.checkpoint).toEqual(first.body.checkpoint);
      else {
        // The checkpoint names a snapshot of the whole cluster: when another database commits
        // meanwhile (test files run side by side on one PostgreSQL) it may name a later one,
        // with nothing of ours in between; the position within it stays (signed anew).
        expect(again.body.checkpoint).toMatchObject({ upto: null });
        expect(checkpointDatabase(again.body.checkpoint!.server)).toBe(checkpointDatabase(first.body.checkpoint!.server));
        expect((await api.pull('brainActions', again.body.checkpoint)).body.documents).toEqual([]);
      }
    });

    it('stores the document exactly as sent, bookkeeping in columns beside it', async () => {
      const doc = action('w1');
      await api.push('brainActions', [{ newDocumentState: doc }]);
      const [row] = await server.sql.query<{ doc: Record<string, unknown>; deleted: boolean; xid: string; seq: string }>(
        'SELECT doc, deleted, xid::text AS xid, seq::text AS seq FROM brain_store_documents',
      );
      const { _deleted, ...content } = doc;
      expect(row!.doc).toEqual(content);
      expect(row!.deleted).toBe(false);
      expect(Number(row!.xid)).toBeGreaterThan(0);
    });

    it('updates when the assumed state equals the stored one (key order ignored)', async () => {
      const doc = action('w1');
      await api.push('brainActions', [{ newDocumentState: doc }]);
      const reordered = Object.fromEntries(Object.entries(doc).reverse());
      const next = { ...doc, priority: 90, priority_rank: 10 };
      expect((await api.push('brainActions', [{ newDocumentState: next, assumedMasterState: reordered }])).body.conflicts).toEqual([]);
      expect((await api.pullAll('brainActions')).documents).toEqual([next]);
    });

    it('answers a stale assumed state with the stored version and writes nothing', async () => {
      const doc = action('w1');
      const stored = { ...doc, priority: 90, priority_rank: 10 };
      await api.push('brainActions', [{ newDocumentState: doc }]);
      await api.push('brainActions', [{ newDocumentState: stored, assumedMasterState: doc }]);
      const stale = { ...doc, priority: 10, priority_rank: 90 };
      const response = await api.push('brainActions', [{ newDocumentState: stale, assumedMasterState: doc }]);
      expect(response.body).toEqual({ conflicts: [stored], rejected: [] });
      // An insert over an existing, different document is a conflict too.
      expect((await api.push('brainActions', [{ newDocumentState: stale }])).body.conflicts).toEqual([stored]);
      expect((await api.pullAll('brainActions')).documents).toEqual([stored]);
    });

    it('accepts an identical resend without a duplicate or a new version', async () => {
      const doc = action('w1');
      await api.push('brainActions', [{ newDocumentState: doc }]);
      const before = await api.pull('brainActions', null);
      expect((await api.push('brainActions', [{ newDocumentState: doc }])).body).toEqual({ conflicts: [], rejected: [] });
      const next = { ...doc, status: 'dismissed', status_at: (doc['created_at'] as number) + 5 };
      await api.push('brainActions', [{ newDocumentState: next, assumedMasterState: doc }]);
      // the response of the update was lost: the client sends it again
      expect((await api.push('brainActions', [{ newDocumentState: next, assumedMasterState: doc }])).body.conflicts).toEqual([]);
      const after = await api.pullAll('brainActions', 100, before.body.checkpoint);
      expect(after.documents).toEqual([next]);
    });

    it('applies a document twice in one batch in order', async () => {
      const doc = action('w1');
      const next = { ...doc, reason: 'second' };
      const response = await api.push('brainActions', [{ newDocumentState: doc }, { newDocumentState: next, assumedMasterState: doc }]);
      expect(response.body).toEqual({ conflicts: [], rejected: [] });
      expect((await api.pullAll('brainActions')).documents).toEqual([next]);
    });

    it('guards even a well-based update with the declared merge rule (regression #3 item 8)', async () => {
      const doc = action('w1');
      const at = doc['created_at'] as number;
      const dismissed = { ...doc, status: 'dismissed', status_at: at + 10 };
      await api.push('brainActions', [{ newDocumentState: doc }]);
      // pending → pending (a re-prioritisation) and pending → terminal pass
      const reprioritised = { ...doc, priority: 70, priority_rank: 30 };
      expect((await api.push('brainActions', [{ newDocumentState: reprioritised, assumedMasterState: doc }])).body.conflicts).toEqual([]);
      const terminal = { ...dismissed, priority: 70, priority_rank: 30 };
      expect((await api.push('brainActions', [{ newDocumentState: terminal, assumedMasterState: reprioritised }])).body.conflicts).toEqual(
        [],
      );
      // terminal → pending and a later terminal transition lose to the stored version
      expect((await api.push('brainActions', [{ newDocumentState: reprioritised, assumedMasterState: terminal }])).body.conflicts).toEqual([
        terminal,
      ]);
      const later = { ...terminal, status: 'actioned', status_at: at + 20, actioned_at: at + 20, actioned_by: 'u' };
      expect((await api.push('brainActions', [{ newDocumentState: later, assumedMasterState: terminal }])).body.conflicts).toEqual([
        terminal,
      ]);
      // an earlier terminal transition wins over the stored one
      const earlier = { ...terminal, status: 'actioned', status_at: at + 5, actioned_at: at + 5, actioned_by: 'u' };
      expect((await api.push('brainActions', [{ newDocumentState: earlier, assumedMasterState: terminal }])).body.conflicts).toEqual([]);
      // a purge always passes
      expect(
        (await api.push('brainActions', [{ newDocumentState: { ...earlier, _deleted: true }, assumedMasterState: earlier }])).body
          .conflicts,
      ).toEqual([]);
    });

    it('soft-deletes: a tombstone is pulled with _deleted true', async () => {
      const doc = action('w1');
      await api.push('brainActions', [{ newDocumentState: doc }]);
      await api.push('brainActions', [{ newDocumentState: { ...doc, _deleted: true }, assumedMasterState: doc }]);
      expect((await api.pullAll('brainActions')).documents).toEqual([{ ...doc, _deleted: true }]);
    });

    it('inserts when the client assumed a state the server no longer has (a purged row)', async () => {
      const doc = action('w1');
      expect((await api.push('brainActions', [{ newDocumentState: doc, assumedMasterState: doc }])).body.conflicts).toEqual([]);
      expect((await api.pullAll('brainActions')).documents).toEqual([doc]);
    });

    it.each([
      ['exactly batchSize', 10],
      ['batchSize - 1', 9],
      ['batchSize + 1', 11],
    ])('pulls %s documents written one per transaction without loss or duplicate', async (_name, count) => {
      const docs = Array.from({ length: count }, () => action('w1'));
      for (const doc of docs) await api.push('brainActions', [{ newDocumentState: doc }]);
      const { documents, pages } = await api.pullAll('brainActions', 10);
      expect(documents.map((doc) => doc.id)).toEqual(docs.map((doc) => doc.id));
      expect(pages).toEqual(count > 10 ? [10, count - 10] : [count]);
    });

    it('pulls one transaction larger than a batch across pages (seq breaks the tie)', async () => {
      const docs = Array.from({ length: 25 }, () => action('w1'));
      await api.push(
        'brainActions',
        docs.map((doc) => ({ newDocumentState: doc })),
      );
      const { documents, pages } = await api.pullAll('brainActions', 10);
      expect(pages).toEqual([10, 10, 5]);
      expect(new Set(documents.map((doc) => doc.id))).toEqual(new Set(docs.map((doc) => doc.id)));
      expect(documents).toHaveLength(25);
    });

    it('serves the three collections separately', async () => {
      const doc = summary('s1', 5);
      expect((await api.push('brainSummaries', [{ newDocumentState: doc }])).body).toEqual({ conflicts: [], rejected: [] });
      expect((await api.pullAll('brainSummaries')).documents).toEqual([doc]);
      expect((await api.pullAll('brainActions')).documents).toEqual([]);
      expect((await api.pullAll('brainInsights')).documents).toEqual([]);
    });
  });
}
