import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireDocument } from '../../src/protocol/messages.ts';
import { fuzzSettings } from '../helpers/fuzz-settings.ts';
import { startTestServer, type TestBackend, type TestServer } from '../helpers/sync-server.ts';
import { action, client, openStream, summary } from '../server/fixtures.ts';

/** Every document of workspace B carries this marker: it must never appear in an answer to A. */
const SECRET = 'SECRET-OF-B';
const A = 'tenant-a';
const B = 'tenant-b';

/** md5 of every row of B (all columns), so any write into B shows. */
async function workspaceChecksum(server: TestServer, ws: string): Promise<string> {
  const [row] = await server.sql.query<{ sum: string | null }>(
    `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS sum FROM brain_store_documents t WHERE workspace_id = $1`,
    [ws],
  );
  return row?.sum ?? '';
}

type Api = ReturnType<typeof client>;

/**
 * Issue 11 §6: a token for workspace A never reads (pull, stream, forged checkpoints,
 * conflict and rejected-row answers, error messages) nor writes (forged workspace_id,
 * moving a document, overwriting or deleting B's document by id) anything of workspace B;
 * an open stream closes when its token expires.
 */
export function tenantIsolationContract(backend: TestBackend): void {
  describe(`tenant isolation (${backend})`, () => {
    let server: TestServer;
    let a: Api;
    let b: Api;
    let bDocs: WireDocument[];
    let bCheckpoints: unknown[];
    beforeAll(async () => {
      server = await startTestServer({ backend, heartbeatMs: 100 });
      a = client(server.url, await server.token([A]));
      b = client(server.url, await server.token([B]));
    });
    afterAll(() => server.close());
    beforeEach(async () => {
      await server.reset();
      bDocs = [
        action(B, { reason: `${SECRET} 1` }),
        action(B, { reason: `${SECRET} 2`, status: 'dismissed' }),
        action(B, { reason: `${SECRET} 3`, id: "b' OR '1'='1" }),
      ];
      const pushed = await b.push(
        'brainActions',
        bDocs.map((doc) => ({ newDocumentState: doc })),
      );
      expect(pushed.body).toEqual({ conflicts: [], rejected: [] });
      await b.push('brainSummaries', [
        { newDocumentState: { ...summary('b-summary', 1_700_000_000_000), workspace_id: B, summary_text: SECRET } },
      ]);
      await a.push('brainActions', [{ newDocumentState: action(A) }]);
      // Real checkpoints of B's pulls, to be replayed by A.
      bCheckpoints = [];
      for (let batch = 1; batch <= bDocs.length; batch++) bCheckpoints.push((await b.pull('brainActions', null, batch)).body.checkpoint);
    });

    it('holds for any sequence of reads and writes A aims at B (property)', async () => {
      const before = await workspaceChecksum(server, B);
      const target = fc.constantFrom(...bDocs.map((doc) => doc.id));
      const edit = fc.constantFrom<(doc: WireDocument) => WireDocument>(
        (doc) => ({ ...doc, reason: 'taken over' }),
        (doc) => ({ ...doc, _deleted: true }),
        (doc) => ({ ...doc, status: 'actioned', actioned_at: doc['created_at'], actioned_by: 'a', status_at: doc['created_at'] }),
        (doc) => ({ ...doc, workspace_id: A }),
        (doc) => ({ ...doc, workspace_id: [A, B] as unknown }),
      );
      type Op =
        | { kind: 'push'; id: string; edit: (doc: WireDocument) => WireDocument; assumed: 'theirs' | 'none' | 'moved'; ws: string }
        | { kind: 'pull'; checkpoint: number; batch: number; collection: string }
        | { kind: 'pushSameIdIntoA'; id: string };
      const op: fc.Arbitrary<Op> = fc.oneof(
        fc.record({
          kind: fc.constant('push' as const),
          id: target,
          edit,
          assumed: fc.constantFrom('theirs' as const, 'none' as const, 'moved' as const),
          ws: fc.constantFrom(A, B),
        }),
        fc.record({
          kind: fc.constant('pull' as const),
          checkpoint: fc.integer({ min: -1, max: bDocs.length - 1 }),
          batch: fc.integer({ min: 1, max: 10 }),
          collection: fc.constantFrom('brainActions', 'brainSummaries'),
        }),
        fc.record({ kind: fc.constant('pushSameIdIntoA' as const), id: target }),
      );
      const answers: string[] = [];
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
          for (const step of ops) {
            if (step.kind === 'pull') {
              const checkpoint = step.checkpoint < 0 ? null : bCheckpoints[step.checkpoint];
              const response = await a.call<{ documents?: WireDocument[] }>(`/sync/${step.collection}/pull`, {
                checkpoint,
                batchSize: step.batch,
              });
              answers.push(JSON.stringify(response.body));
              for (const doc of response.body.documents ?? []) expect(doc['workspace_id']).toBe(A);
            } else if (step.kind === 'push') {
              const theirs = bDocs.find((doc) => doc.id === step.id)!;
              // The attacker knows B's document exactly (it may assume it), but what it writes
              // carries no secret: a secret in an answer can then only have come from B.
              const next = step.edit({ ...theirs, workspace_id: step.ws, reason: 'attacker' });
              const assumed = step.assumed === 'theirs' ? theirs : step.assumed === 'moved' ? { ...theirs, workspace_id: A } : undefined;
              const response = await a.push('brainActions', [
                assumed ? { newDocumentState: next, assumedMasterState: assumed } : { newDocumentState: next },
              ]);
              answers.push(JSON.stringify(response.body));
              expect(response.status).toBeLessThan(500);
              // Whatever happened, no conflict answer carries B's version.
              for (const master of [...(response.body.conflicts ?? []), ...(response.body.rejected ?? []).map((row) => row.master)]) {
                if (master) expect(master['workspace_id']).toBe(A);
              }
            } else {
              // The same id in A is another document: allowed, and it reveals nothing of B's.
              const response = await a.push('brainActions', [{ newDocumentState: action(A, { id: step.id }) }]);
              answers.push(JSON.stringify(response.body));
            }
          }
        }),
        fuzzSettings(`tenant isolation on ${backend}`, 25),
      );
      expect(answers.length).toBeGreaterThan(0);
      for (const answer of answers) expect(answer).not.toContain(SECRET);
      expect(await workspaceChecksum(server, B)).toBe(before);
      expect((await b.pullAll('brainActions')).documents).toEqual(bDocs);
    }, 120_000);

    it('refuses a write into B the same way whether the document exists there or not', async () => {
      const existing = bDocs[0]!;
      const missing = action(B, { reason: 'x' });
      const [one, two] = await Promise.all([
        a.push('brainActions', [{ newDocumentState: { ...existing, reason: 'mine now' }, assumedMasterState: existing }]),
        a.push('brainActions', [{ newDocumentState: { ...missing, reason: 'mine now' }, assumedMasterState: missing }]),
      ]);
      const shape = (row: unknown) => ({ ...(row as Record<string, unknown>), id: 'ID' });
      expect(one.body.rejected.map(shape)).toEqual(two.body.rejected.map(shape));
      expect(one.body.rejected[0]).toMatchObject({ code: 'FORBIDDEN_WORKSPACE', master: null });
    });

    it('sends A no poke about B, and closes an open stream when its token expires', async () => {
      let now = Date.now();
      const clocked = await startTestServer({ backend, heartbeatMs: 50, now: () => now });
      const shortA = await clocked.token([A], 60);
      const streamA = await openStream(clocked.url, 'brainActions', shortA);
      const streamB = await openStream(clocked.url, 'brainActions', await clocked.token([B]));
      await streamA.next('RESYNC');
      await streamB.next('RESYNC');
      await client(clocked.url, await clocked.token([B])).push('brainActions', [{ newDocumentState: action(B, { reason: SECRET }) }]);
      await streamB.next('CHANGE');
      // B's stream heard of it; A's got heartbeats only.
      expect(streamA.events.filter((event) => event.type !== 'HEARTBEAT')).toEqual([]);
      expect(JSON.stringify(streamA.events)).not.toContain(SECRET);
      // The token of A's stream expires on the server's clock: the stream ends, B's stays.
      now += 61_000;
      await streamA.waitEnded(5_000);
      expect(streamB.ended).toBe(false);
      await streamB.close();
      await clocked.close();
    });

    it('answers an expired or foreign token with the same 401, naming nothing', async () => {
      let now = Date.now();
      const clocked = await startTestServer({ backend, now: () => now });
      const expiring = client(clocked.url, await clocked.token([A], 60));
      now += 120_000;
      const expired = await expiring.pull('brainActions', null);
      const forged = await client(clocked.url, 'x.y.z').pull('brainActions', null);
      expect(expired.status).toBe(401);
      expect(expired.body).toEqual(forged.body);
      await clocked.close();
    });
  });
}
