import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../src/collections/fields.ts';
import { isPurgedByRetention } from '../../../src/collections/retention.ts';
import { startTestServer, type TestBackend, type TestServer } from '../../helpers/sync-server.ts';
import { action, client, summary, T0 } from '../fixtures.ts';

/** Server expiry and retention (issue 4 items 3 and 4), with an injected clock. */
export function maintenanceContract(backend: TestBackend): void {
  describe('server expiry and retention', () => {
    let now = T0;
    let a: TestServer;
    let b: TestServer;
    let api: ReturnType<typeof client>;
    beforeAll(async () => {
      a = await startTestServer({ backend, now: () => now });
      b = await startTestServer({ backend, now: () => now });
      api = client(a.url, await a.token(['w1', 'w2'], 365 * 86_400));
    });
    afterAll(async () => {
      await a.close();
      await b.close();
    });
    beforeEach(async () => {
      now = T0;
      await a.reset();
    });

    it('expires due pending actions with the deterministic fields, and the expiry syncs', async () => {
      const due = action('w1');
      const later = action('w2', { expires_at: T0 + 2 * DAY_MS });
      const done = action('w1', { status: 'dismissed', status_at: T0 + 1 });
      await api.push(
        'brainActions',
        [due, later, done].map((doc) => ({ newDocumentState: doc })),
      );
      const { checkpoint } = await api.pullAll('brainActions');
      now = T0 + DAY_MS; // exactly expires_at
      expect((await a.runMaintenance()).expired).toBe(1);
      const changed = await api.pullAll('brainActions', 100, checkpoint);
      const expired = { ...due, status: 'expired', status_at: due['expires_at'] };
      expect(changed.documents).toEqual([expired]);
      // A client that expired it too pushes identical fields: no conflict, no new version.
      expect((await api.push('brainActions', [{ newDocumentState: expired, assumedMasterState: due }])).body).toEqual({
        conflicts: [],
        rejected: [],
      });
      expect((await api.pullAll('brainActions', 100, changed.checkpoint)).documents).toEqual([]);
    });

    it('two instances expiring at once converge on one state without conflicts', async () => {
      const docs = Array.from({ length: 300 }, (_, index) => action(index % 2 ? 'w1' : 'w2', { expires_at: T0 + 1_000 + index }));
      await api.push(
        'brainActions',
        docs.map((doc) => ({ newDocumentState: doc })),
      );
      now = T0 + 10_000;
      const [first, second] = await Promise.all([a.runMaintenance(), b.runMaintenance()]);
      expect(first.expired + second.expired).toBe(300);
      expect((await a.runMaintenance()).expired).toBe(0);
      const { documents } = await api.pullAll('brainActions', 1_000);
      expect(documents).toHaveLength(300);
      for (const doc of documents) expect(doc).toMatchObject({ status: 'expired', status_at: doc['expires_at'] });
    });

    it('keeps an action actioned before its expiry', async () => {
      const doc = action('w1');
      const actioned = { ...doc, status: 'actioned', status_at: T0 + DAY_MS - 1, actioned_at: T0 + DAY_MS - 1, actioned_by: 'u' };
      await api.push('brainActions', [{ newDocumentState: doc }]);
      now = T0 + DAY_MS - 1; // the server accepts no transition time from its future
      await api.push('brainActions', [{ newDocumentState: actioned, assumedMasterState: doc }]);
      now = T0 + 2 * DAY_MS;
      expect((await a.runMaintenance()).expired).toBe(0);
      expect((await api.pullAll('brainActions')).documents).toEqual([actioned]);
    });

    it('soft-deletes terminal actions past retention, then deletes old tombstones for good', async () => {
      const old = action('w1', { status: 'dismissed', status_at: T0 + 1 });
      const recent = action('w1', { status: 'dismissed', status_at: T0 + 6 * DAY_MS });
      const pending = action('w1');
      now = T0 + 6 * DAY_MS;
      await api.push(
        'brainActions',
        [old, recent, pending].map((doc) => ({ newDocumentState: doc })),
      );
      const { checkpoint } = await api.pullAll('brainActions');
      now = T0 + 7 * DAY_MS + 2;
      const result = await a.runMaintenance();
      expect(result).toMatchObject({ purged: 1, tombstonesDeleted: 0, expired: 1 });
      const changed = await api.pullAll('brainActions', 100, checkpoint);
      expect(changed.documents).toContainEqual({ ...old, _deleted: true });
      now += 30 * DAY_MS + 1;
      expect((await a.runMaintenance()).tombstonesDeleted).toBe(1);
      const [{ count }] = (await a.sql.query<{ count: string }>(`SELECT count(*)::text AS count FROM brain_store_documents WHERE id = $1`, [
        old.id,
      ])) as [{ count: string }];
      expect(count).toBe('0');
    });

    it('keeps summaries and insights unless a retention is configured for them', async () => {
      const old = summary('s-old', T0);
      const recent = summary('s-new', T0 + 9 * DAY_MS);
      now = T0 + 9 * DAY_MS;
      await api.push('brainSummaries', [{ newDocumentState: old }, { newDocumentState: recent }]);
      now = T0 + 10 * DAY_MS;
      expect((await a.runMaintenance()).purged).toBe(0);
      const keeping = await startTestServer({ backend, now: () => now, retention: { summariesMs: 5 * DAY_MS } });
      expect((await keeping.runMaintenance()).purged).toBe(1);
      await keeping.close();
      expect((await api.pullAll('brainSummaries')).documents).toEqual([recent, { ...old, _deleted: true }]);
    });

    it('purges exactly what the rule the collections declare names, the rule the local cleanup applies (issue 21)', async () => {
      now = T0 + 10 * DAY_MS;
      const retention = { actionsMs: 3 * DAY_MS, summariesMs: 4 * DAY_MS, insightsMs: null };
      const fields = (status: string, at: number): Record<string, unknown> => {
        if (status === 'actioned') return { status, status_at: at, actioned_at: at, actioned_by: 'u1', expires_at: T0 + 40 * DAY_MS };
        if (status === 'expired') return { status, status_at: at, expires_at: at };
        return { status, status_at: status === 'pending' ? T0 : at, expires_at: T0 + 40 * DAY_MS };
      };
      const actions = ['pending', 'actioned', 'dismissed', 'expired'].flatMap((status) =>
        [0.5, 5, 6.5, 7, 7.5, 9].map((day) => action('w1', { created_at: T0, ...fields(status, T0 + day * DAY_MS) })),
      );
      const summaries = [0, 5, 5.5, 6, 6.5, 9].map((day) => summary(`s-rule-${day}`, T0 + day * DAY_MS));
      for (const [name, docs] of [
        ['brainActions', actions],
        ['brainSummaries', summaries],
      ] as const) {
        const pushed = await api.push(
          name,
          docs.map((doc) => ({ newDocumentState: doc })),
        );
        expect(pushed.body).toEqual({ conflicts: [], rejected: [] });
      }
      const server = await startTestServer({ backend, now: () => now, retention });
      await server.runMaintenance();
      await server.close();
      for (const [name, docs] of [
        ['brainActions', actions],
        ['brainSummaries', summaries],
      ] as const) {
        const deleted = new Set((await api.pullAll(name)).documents.filter((doc) => doc._deleted).map((doc) => doc.id));
        const expected = docs.filter((doc) => isPurgedByRetention(name, doc, now, retention)).map((doc) => doc.id);
        expect(expected.length).toBeGreaterThan(0);
        expect([...deleted].sort()).toEqual(expected.sort());
      }
    });

    it('null keeps forever, as on the client; a bad window is a CONFIG error before anything opens', async () => {
      const old = action('w1', { status: 'dismissed', status_at: T0 });
      now = T0 + 60 * DAY_MS;
      await api.push('brainActions', [{ newDocumentState: old }]);
      const forever = await startTestServer({ backend, now: () => now, retention: { actionsMs: null, tombstonesMs: null } });
      expect(await forever.runMaintenance()).toMatchObject({ purged: 0, tombstonesDeleted: 0 });
      await forever.close();
      expect(isPurgedByRetention('brainActions', old, now, { actionsMs: null })).toBe(false);
      await expect(startTestServer({ backend, retention: { summariesMs: -1 } })).rejects.toMatchObject({
        code: 'CONFIG',
        parameters: { option: 'retention.summariesMs', value: -1 },
      });
    });
  });
}
