import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutageProxy, type OutageProxy } from '../../helpers/outage-proxy.ts';
import { startTestServer, syncBackends, type TestBackend, type TestServer } from '../../helpers/sync-server.ts';
import { startClientProcess, type ClientProcess } from './client-process.ts';
import { ConvergenceModel, type ModelStatus } from './convergence-model.ts';

/**
 * Issue 11 §1: model-based convergence. CLIENTS stores, each in its own process, replicate
 * through outage proxies to two server instances over one database (PGlite, and PostgreSQL
 * when it answers). fast-check generates a sequence of operations — creates, bulk insight
 * creates, actioned/dismissed transitions, clock advances with expiry cleanups (clients and
 * servers), a member's refused writes, disconnects, paused replications, server restarts —
 * and a reference model follows it. Once the network heals, within CONVERGE_MS, every client
 * and the server hold identical documents equal to the model's: nothing acknowledged lost,
 * nothing duplicated.
 *
 *   CONVERGENCE_RUNS=50 CONVERGENCE_SEED=123 npx vitest run test/reliability/convergence
 *
 * Clocks: a virtual time V (whole minutes) shared by the servers; client c's clock is V + c ms
 * so no two clients' transitions tie, and expiries fall on ms 500 of a minute so no
 * transition ties with an expiry (see convergence-model.ts).
 */
const CLIENTS = 3;
const MEMBER = CLIENTS - 1;
const MINUTE = 60_000;
const RUNS = Number(process.env['CONVERGENCE_RUNS'] ?? 3);
const SEED = process.env['CONVERGENCE_SEED'] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['CONVERGENCE_SEED']);
const MAX_OPS = Number(process.env['CONVERGENCE_OPS'] ?? 30);
const CONVERGE_MS = 30_000;

type Op =
  | { t: 'create'; c: number; priority: number; ttl: number }
  | { t: 'bulk'; c: number; count: number }
  | { t: 'actioned' | 'dismiss'; c: number; pick: number }
  | { t: 'forged'; kind: 'create' | 'other-name'; pick: number }
  | { t: 'advance'; minutes: number }
  | { t: 'cleanup'; c: number }
  | { t: 'server-expiry'; s: number }
  | { t: 'offline' | 'online' | 'pause' | 'resume'; c: number }
  | { t: 'restart'; s: number }
  | { t: 'settle'; ms: number };

const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const writer = fc.integer({ min: 0, max: MEMBER - 1 });
const pick = fc.nat(1_000);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant('create' as const),
      c: writer,
      priority: fc.integer({ min: 0, max: 100 }),
      ttl: fc.integer({ min: 1, max: 6 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ t: fc.constant('bulk' as const), c: writer, count: fc.integer({ min: 1, max: 5 }) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constantFrom('actioned' as const, 'dismiss' as const), c: client, pick }), weight: 4 },
  {
    arbitrary: fc.record({ t: fc.constant('forged' as const), kind: fc.constantFrom('create' as const, 'other-name' as const), pick }),
    weight: 1,
  },
  { arbitrary: fc.record({ t: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('cleanup' as const), c: client }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('server-expiry' as const), s: fc.integer({ min: 0, max: 1 }) }), weight: 1 },
  {
    arbitrary: fc.record({ t: fc.constantFrom('offline' as const, 'online' as const, 'pause' as const, 'resume' as const), c: client }),
    weight: 3,
  },
  { arbitrary: fc.record({ t: fc.constant('restart' as const), s: fc.integer({ min: 0, max: 1 }) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('settle' as const), ms: fc.integer({ min: 0, max: 150 }) }), weight: 2 },
);

type Doc = Record<string, unknown> & { id: string };
const sortById = (docs: Doc[]) => [...docs].sort((a, b) => (a.id < b.id ? -1 : 1));
const stripMeta = (doc: Record<string, unknown>) => Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith('_'))) as Doc;
const statusOf = (doc: Doc): ModelStatus => ({
  status: doc['status'] as ModelStatus['status'],
  status_at: doc['status_at'] as number,
  ...(doc['actioned_by'] === undefined ? {} : { actioned_by: doc['actioned_by'] as string }),
});

describe.each(await syncBackends())('model-based convergence on %s', (backend: TestBackend) => {
  let virtual = Math.floor(Date.now() / MINUTE) * MINUTE;
  const now = () => virtual;
  const servers: TestServer[] = [];
  const ports: number[] = [];
  const proxies: OutageProxy[] = [];
  const clients: ClientProcess[] = [];

  beforeAll(async () => {
    for (let s = 0; s < 2; s++) {
      servers.push(await startTestServer({ backend, now, rateLimit: false, heartbeatMs: 1_000 }));
      ports.push(Number(new URL(servers[s]!.url).port));
    }
    for (let c = 0; c < CLIENTS; c++) {
      proxies.push(await startOutageProxy(servers[c % 2]!.url));
      clients.push(startClientProcess());
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((process) => process.stop()));
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await Promise.all(servers.map((server) => server.close()));
  });

  it(`${CLIENTS} client processes, 2 server instances: every replica converges to the model (seed ${SEED}, ${RUNS} runs)`, async () => {
    console.info(`[convergence] ${backend}: CONVERGENCE_SEED=${SEED} CONVERGENCE_RUNS=${RUNS} CONVERGENCE_OPS=${MAX_OPS}`);
    let run = 0;
    const figures = { ops: 0, writes: 0, refused: 0, refusedByServer: 0, restarts: 0, outages: 0, worstConvergeMs: 0 };
    const clockOf = (c: number) => virtual + c;
    const setClocks = () => Promise.all(clients.map((process, c) => process.must('clock', { clock: clockOf(c) })));

    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: MAX_OPS }), async (ops) => {
        const ws = `conv-${backend}-${SEED}-${++run}`;
        const model = new ConvergenceModel();
        const memberKnowsRole = run % 2 === 1;
        for (const proxy of proxies) proxy.online = true;
        for (let c = 0; c < CLIENTS; c++) {
          const member = c === MEMBER;
          const token = await servers[0]!.token(
            [ws],
            24 * 3_600,
            member ? { role: 'member', subject: 'dana' } : { role: 'bot', subject: `bot-${c}` },
          );
          await clients[c]!.must('open', {
            name: `${ws}-${c}`,
            url: proxies[c]!.url,
            token,
            clock: clockOf(c),
            // Odd runs: the member's store knows its role and refuses forged writes at once; even
            // runs: it does not, so they reach the server, are refused there and reverted here.
            ...(member && memberKnowsRole ? { role: 'member', subject: 'dana' } : {}),
          });
        }
        try {
          for (const op of ops) {
            figures.ops++;
            switch (op.t) {
              case 'create': {
                const created_at = clockOf(op.c);
                const expires_at = virtual + op.ttl * MINUTE + 500;
                const id = await clients[op.c]!.must<string>('createAction', {
                  workspace_id: ws,
                  contact_id: `contact-${op.priority}`,
                  priority: op.priority,
                  expires_at,
                });
                model.create(id, created_at, expires_at);
                figures.writes++;
                break;
              }
              case 'bulk': {
                const ids = await clients[op.c]!.must<string[]>('bulkInsights', { workspace_id: ws, count: op.count });
                for (const id of ids) model.insights.add(id);
                figures.writes += ids.length;
                break;
              }
              case 'actioned':
              case 'dismiss': {
                const id = model.actionIds[op.pick % Math.max(1, model.actionIds.length)];
                if (!id) break;
                const by = op.c === MEMBER ? 'dana' : `bot-${op.c}`;
                const answer = await clients[op.c]!.call(op.t, { id, by });
                if (answer.ok) {
                  const status_at = answer.result as number;
                  model.transition(
                    id,
                    op.t === 'actioned' ? { status: 'actioned', status_at, actioned_by: by } : { status: 'dismissed', status_at },
                  );
                  figures.writes++;
                } else {
                  // Not synced here yet, already terminal here, or past its expiry: refused, nothing written.
                  expect(['NOT_FOUND', 'INVALID_TRANSITION']).toContain(answer.code);
                }
                break;
              }
              case 'forged': {
                const id = model.actionIds[op.pick % Math.max(1, model.actionIds.length)];
                const answer =
                  op.kind === 'create'
                    ? await clients[MEMBER]!.call('createAction', {
                        workspace_id: ws,
                        contact_id: 'forged',
                        priority: 99,
                        expires_at: virtual + MINUTE + 500,
                      })
                    : id
                      ? await clients[MEMBER]!.call('actioned', { id, by: 'someone-else' })
                      : undefined;
                if (answer && memberKnowsRole) {
                  expect(answer.ok).toBe(false);
                  if (!answer.ok && op.kind === 'create') expect(answer.code).toBe('FORBIDDEN_ROLE');
                  figures.refused++;
                } else if (answer?.ok) {
                  // Written locally; the model leaves it out: the server must refuse it and every replica drop it.
                  figures.refusedByServer++;
                }
                break;
              }
              case 'advance':
                virtual += op.minutes * MINUTE;
                await setClocks();
                break;
              case 'cleanup':
                await clients[op.c]!.must('cleanup');
                break;
              case 'server-expiry':
                await servers[op.s]!.runMaintenance();
                break;
              case 'offline':
              case 'online':
                proxies[op.c]!.online = op.t === 'online';
                figures.outages += op.t === 'offline' ? 1 : 0;
                break;
              case 'pause':
              case 'resume':
                await clients[op.c]!.must(op.t);
                break;
              case 'restart':
                await servers[op.s]!.close();
                servers[op.s] = await startTestServer({ backend, now, rateLimit: false, heartbeatMs: 1_000, port: ports[op.s]! });
                figures.restarts++;
                break;
              case 'settle':
                await new Promise((resolve) => setTimeout(resolve, op.ms));
                break;
            }
          }

          // The network heals; a final cleanup everywhere makes every due action expired.
          for (const proxy of proxies) proxy.online = true;
          await Promise.all(clients.map((process) => process.must('resume')));
          await Promise.all(clients.map((process) => process.must('cleanup')));
          await Promise.all(servers.map((server) => server.runMaintenance()));
          const expected = model.expected(virtual);
          const healed = performance.now();
          let last: { server: Doc[]; clients: Doc[][] } | undefined;
          const converged = () => {
            if (!last) return false;
            const { server, clients: views } = last;
            if (views.some((view) => !isDeepStrictEqual(view, server))) return false;
            const actions = server.filter((doc) => doc['collection'] === 'brainActions');
            if (actions.length !== expected.size) return false;
            return actions.every((doc) => isDeepStrictEqual(statusOf(doc), expected.get(doc.id)));
          };
          while (!converged() && performance.now() - healed < CONVERGE_MS) {
            if (last) await new Promise((resolve) => setTimeout(resolve, 100));
            await Promise.all(clients.map((process) => process.must('resync')));
            const rows = await servers[0]!.sql.query<{ collection: string; doc: Record<string, unknown>; deleted: boolean }>(
              'SELECT collection, doc, deleted FROM brain_store_documents WHERE workspace_id = $1',
              [ws],
            );
            expect(rows.filter((row) => row.deleted)).toEqual([]);
            const dumps = await Promise.all(
              clients.map((process) => process.must<{ actions: Doc[]; insights: Doc[] }>('dump', { workspace_id: ws })),
            );
            last = {
              server: sortById(rows.map((row) => ({ ...stripMeta(row.doc), collection: row.collection }))),
              clients: dumps.map((dump) =>
                sortById([
                  ...dump.actions.map((doc) => ({ ...doc, collection: 'brainActions' })),
                  ...dump.insights.map((doc) => ({ ...doc, collection: 'brainInsights' })),
                ]),
              ),
            };
          }
          figures.worstConvergeMs = Math.max(figures.worstConvergeMs, performance.now() - healed);
          // The assertions, with readable diffs when convergence did not happen in time.
          const { server, clients: views } = last!;
          for (const view of views) expect(view).toEqual(server);
          const actions = server.filter((doc) => doc['collection'] === 'brainActions');
          expect(new Map(actions.map((doc) => [doc.id, statusOf(doc)]))).toEqual(expected);
          expect(new Set(server.filter((doc) => doc['collection'] === 'brainInsights').map((doc) => doc.id))).toEqual(model.insights);
          expect(server).toHaveLength(expected.size + model.insights.size);
        } finally {
          await Promise.all(clients.map((process) => process.call('close')));
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.info(
      `[convergence] ${backend}: ${RUNS} runs, ${figures.ops} operations (${figures.writes} local writes, ${figures.refused} member writes refused locally, ${figures.refusedByServer} by the server, ` +
        `${figures.outages} outages, ${figures.restarts} server restarts): all replicas equal to the model; slowest convergence after healing ${Math.round(figures.worstConvergeMs)} ms`,
    );
  }, 600_000);
});
