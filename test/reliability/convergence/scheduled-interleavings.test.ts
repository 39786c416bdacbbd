import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { describe, expect, it } from 'vitest';
import { createBrainStore, replicateBrainStore, type BrainStore } from '../../../src/index.ts';
import { startTestServer } from '../../helpers/sync-server.ts';

/**
 * Issue 11 §1, the interleavings: two in-process stores sync with one server through a fetch
 * whose responses fast-check's scheduler releases in the order it chooses — so a push's
 * answer can be held while the other client's write arrives on this client's live stream
 * (the stream's body flows unscheduled), or a pull answers in the middle of a push. Both
 * clients act on one action at once (actioned vs dismissed) and create new ones; the token
 * is re-minted before every request and its arrival scheduled too (a token refresh during a
 * push). Whatever the order: every store and the server end identical, the earliest
 * transition wins, every create is stored once.
 *
 *   CONVERGENCE_RUNS=100 CONVERGENCE_SEED=123 npx vitest run test/reliability/convergence/scheduled-interleavings.test.ts
 */
const RUNS = Number(process.env['CONVERGENCE_RUNS'] ?? 3);
const SEED = process.env['CONVERGENCE_SEED'] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['CONVERGENCE_SEED']);

type Op = { c: 0 | 1; t: 'actioned' | 'dismiss' | 'create' };
const opArb: fc.Arbitrary<Op> = fc.record({
  c: fc.constantFrom(0 as const, 1 as const),
  t: fc.constantFrom('actioned' as const, 'dismiss' as const, 'create' as const),
});

const stripMeta = (doc: Record<string, unknown>) => Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith('_')));

async function actionsOf(store: BrainStore, workspace_id: string) {
  const docs = await store.database.brainActions.find({ selector: { workspace_id }, sort: [{ id: 'asc' }] }).exec();
  return docs.map((doc) => stripMeta(doc.toMutableJSON(false) as Record<string, unknown>));
}

describe('scheduled interleavings (PGlite, in-process)', () => {
  it(`a stream event or a pull during a push: two stores and the server converge (seed ${SEED}, ${RUNS} runs)`, async () => {
    console.info(`[convergence] scheduler: CONVERGENCE_SEED=${SEED} CONVERGENCE_RUNS=${RUNS}`);
    const base = Date.now();
    const server = await startTestServer({ backend: 'pglite', rateLimit: false, now: () => base });
    let run = 0;
    let released = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), fc.array(opArb, { minLength: 2, maxLength: 6 }), async (s, ops) => {
          const ws = `sched-${SEED}-${++run}`;
          const token = await server.token([ws]);
          // Client c's clock is base + 1 + c: their transitions never tie, A's is the earlier.
          const stores = [
            await createBrainStore({ name: `${ws}-a`, storage: getRxStorageMemory(), now: () => base + 1 }),
            await createBrainStore({ name: `${ws}-b`, storage: getRxStorageMemory(), now: () => base + 2 }),
          ];
          const id = await stores[0]!.brainActions.createActionRecommendation({
            workspace_id: ws,
            contact_id: 'c1',
            action_type: 'follow_up',
            priority: 50,
            urgency: 'today',
            reason: 'asked for pricing twice',
          });
          // Both stores hold the action before the scheduled part starts.
          const setup = stores.map((store) =>
            replicateBrainStore(store, { url: server.url, token, retryTime: 50, live: false, correctClock: false }),
          );
          await setup[0]!.awaitInSync();
          await setup[1]!.awaitInSync();
          await Promise.all(setup.map((sync) => sync.cancel()));
          expect(await actionsOf(stores[1]!, ws)).toHaveLength(1);

          const scheduledFetch = (input: string, init?: RequestInit) => {
            const sent = fetch(input, init);
            // A request the schedule never releases (the run ended, the server closed) must not
            // reject unobserved: its failure reaches the client only through the scheduled promise.
            sent.catch(() => undefined);
            return s.schedule(sent, `${init?.method ?? 'GET'} ${input.replace(server.url, '')}`);
          };
          const syncs = stores.map((store) =>
            replicateBrainStore(store, {
              url: server.url,
              // A token re-minted before every request, its arrival scheduled too: a refresh lands mid-push.
              getToken: () => s.schedule(server.token([ws]), 'token refresh'),
              retryTime: 50,
              fetch: scheduledFetch,
              correctClock: false,
            }),
          );
          const created: string[] = [id];
          const accepted: { c: number; status: 'actioned' | 'dismissed' }[] = [];
          const acting = ops.map((op, n) =>
            s.schedule(Promise.resolve(`op ${n}: ${op.t} on ${op.c}`)).then(async () => {
              const store = stores[op.c]!;
              if (op.t === 'create') {
                created.push(
                  await store.brainActions.createActionRecommendation({
                    workspace_id: ws,
                    contact_id: `c${n}`,
                    action_type: 'follow_up',
                    priority: n,
                    urgency: 'today',
                    reason: 'r',
                  }),
                );
                return;
              }
              try {
                if (op.t === 'actioned') await store.brainActions.markActionActioned({ action_id: id, actioned_by: `bot-${op.c}` });
                else await store.brainActions.dismissAction({ action_id: id });
                accepted.push({ c: op.c, status: op.t === 'actioned' ? 'actioned' : 'dismissed' });
              } catch {
                // Already terminal here: refused, nothing written.
              }
            }),
          );
          await s.waitFor(Promise.all(acting));
          try {
            const converged = async () => {
              for (;;) {
                await Promise.all(syncs.map((sync) => sync.awaitInSync()));
                const rows = await server.sql.query<{ doc: Record<string, unknown> }>(
                  "SELECT doc FROM brain_store_documents WHERE workspace_id = $1 AND collection = 'brainActions' ORDER BY id",
                  [ws],
                );
                const serverView = rows.map((row) => stripMeta(row.doc));
                const views = await Promise.all(stores.map((store) => actionsOf(store, ws)));
                if (views.every((view) => isDeepStrictEqual(view, serverView))) return serverView;
                for (const sync of syncs) sync.resync();
                await new Promise((resolve) => setTimeout(resolve, 20));
              }
            };
            const serverView = await s.waitFor(converged());
            expect(serverView.map((doc) => doc['id']).sort()).toEqual([...created].sort());
            const winner = accepted.sort((a, b) => a.c - b.c)[0];
            const action = serverView.find((doc) => doc['id'] === id)!;
            expect(action['status']).toBe(winner ? winner.status : 'pending');
            if (winner) expect(action['status_at']).toBe(base + 1 + winner.c);
            released += s.report().length;
          } finally {
            await Promise.all(syncs.map((sync) => sync.cancel()));
            await Promise.all(stores.map((store) => store.close()));
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true, interruptAfterTimeLimit: 240_000 },
      );
      console.info(
        `[convergence] scheduler: ${RUNS} runs, ${released} fetch answers, token refreshes and operations released in scheduler-chosen order; all converged`,
      );
    } finally {
      await server.close();
    }
  }, 300_000);
});
