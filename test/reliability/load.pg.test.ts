import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnPostgres, startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { action, client } from '../server/fixtures.ts';

/**
 * Issue 11 §4, reduced: LOAD_CLIENTS protocol clients (in this process, not over processes)
 * write LOAD_WRITES single-row pushes each, all at once, spread over two server instances on
 * one PostgreSQL (50 × 20 by default in npm test; LOAD_WRITES=100 for the figure). Asserted: every acknowledged write is stored once and every client pulls
 * exactly the same set. Throughput and push latency are printed, not asserted (a figure,
 * not a timed test).
 */
const CLIENTS = Number(process.env['LOAD_CLIENTS'] ?? 50);
const WRITES = Number(process.env['LOAD_WRITES'] ?? 20);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

await describeOnPostgres('load on two server instances (PostgreSQL)', () => {
  let servers: TestServer[];
  beforeAll(async () => {
    servers = [
      await startTestServer({ backend: 'postgres', rateLimit: false }),
      await startTestServer({ backend: 'postgres', rateLimit: false }),
    ];
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it(`${CLIENTS} clients × ${WRITES} writes: everything arrives once and every client converges`, async () => {
    const ws = 'load';
    const token = await servers[0]!.token([ws]);
    const apis = Array.from({ length: CLIENTS }, (_, i) => client(servers[i % 2]!.url, token));
    // Baseline from the same run: one client alone, sequential single-row pushes.
    const alone: number[] = [];
    for (let n = 0; n < 20; n++) {
      const sent = performance.now();
      await client(servers[0]!.url, await servers[0]!.token(['load-baseline'])).push('brainActions', [
        { newDocumentState: action('load-baseline', { created_at: Date.now() }) },
      ]);
      alone.push(performance.now() - sent);
    }
    alone.sort((a, b) => a - b);
    const latencies: number[] = [];
    const acknowledged: string[] = [];
    const started = performance.now();
    await Promise.all(
      apis.map(async (api) => {
        for (let n = 0; n < WRITES; n++) {
          const doc = action(ws, { created_at: Date.now() });
          const sent = performance.now();
          const response = await api.push('brainActions', [{ newDocumentState: doc }]);
          latencies.push(performance.now() - sent);
          expect(response.body).toEqual({ conflicts: [], rejected: [] });
          acknowledged.push(doc.id);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const expected = [...acknowledged].sort();
    expect(new Set(expected).size).toBe(CLIENTS * WRITES);
    const rows = await servers[0]!.sql.query<{ n: string }>('SELECT count(*) AS n FROM brain_store_documents WHERE workspace_id = $1', [
      ws,
    ]);
    expect(Number(rows[0]!.n)).toBe(CLIENTS * WRITES);
    for (const api of apis) {
      const pulled = await api.pullAll('brainActions', 1_000);
      expect(pulled.documents.map((doc) => doc.id).sort()).toEqual(expected);
    }
    latencies.sort((a, b) => a - b);
    console.info(
      `[load] ${CLIENTS} clients × ${WRITES} single-row pushes over 2 instances: ${Math.round((CLIENTS * WRITES) / seconds)} writes/s; ` +
        `push latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms ` +
        `(one client alone: p50 ${percentile(alone, 50).toFixed(1)} ms); all ${CLIENTS} clients pulled all ${CLIENTS * WRITES}`,
    );
  }, 300_000);
});
