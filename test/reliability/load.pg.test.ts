import { expect, it } from 'vitest';
import { describeOnPostgres, POSTGRES_URL } from '../helpers/sync-server.ts';
import { CLIENTS_PER_PROCESS, runLoad } from '../../harness/load/load-driver.ts';

/**
 * Issue 11 §4: LOAD_CLIENTS brain-store clients — each a real store on memory storage,
 * CLIENTS_PER_PROCESS to a child process — write LOAD_WRITES actions each, all starting at
 * once, while replicating live to two sync server processes on one PostgreSQL database
 * (load/load-driver.ts). Asserted: every write is acknowledged, stored on the server exactly
 * once and not deleted, and every client ends with exactly the server's documents (same ids,
 * same contents). Speed is not asserted: throughput and write → `$` latency are printed here
 * and measured by `npm run bench -- load` (bench/load.bench.ts, 50 × 100).
 *
 * Defaults reduced for CI's budget on 2 cores: 24 clients (6 processes) × 20 writes, about
 * 23–33 s on a loaded machine, most of it starting the processes (50 × 10 took 40–75 s there).
 * LOAD_CLIENTS=50 LOAD_WRITES=100 is the full load (about 3 min here); the bench runs
 * it with the same checks.
 */
const CLIENTS = Number(process.env['LOAD_CLIENTS'] ?? 24);
const WRITES = Number(process.env['LOAD_WRITES'] ?? 20);
const CONVERGE_MS = Number(process.env['LOAD_CONVERGE_MS'] ?? 120_000);

await describeOnPostgres('load over processes on two server instances (PostgreSQL)', () => {
  it(`${CLIENTS} clients × ${WRITES} writes: everything arrives once and every client converges`, async () => {
    const result = await runLoad({
      pgUrl: POSTGRES_URL,
      clients: CLIENTS,
      writes: WRITES,
      intervalMs: 0,
      convergeTimeoutMs: CONVERGE_MS,
      log: (message) => console.info(`[load] ${message}`),
    });
    const total = CLIENTS * WRITES;
    expect(result.processes).toBe(Math.ceil(CLIENTS / CLIENTS_PER_PROCESS));
    // Every write acknowledged to its writer, once, under distinct ids.
    expect(result.acknowledged).toHaveLength(total);
    expect(new Set(result.acknowledged).size).toBe(total);
    // Stored once: exactly the acknowledged ids, no more rows, nothing deleted.
    expect(result.server.rows).toBe(total);
    expect(result.server.deleted).toBe(0);
    expect([...result.server.ids].sort()).toEqual([...result.acknowledged].sort());
    // Every client saw every write on `$` within the budget and holds the server's data.
    expect(result.converged, `every store sees all ${total} writes within ${CONVERGE_MS} ms`).toBe(true);
    for (const store of result.stores) {
      expect({ name: store.name, count: store.count, unseen: store.unseen, digest: store.digest }).toEqual({
        name: store.name,
        count: total,
        unseen: 0,
        digest: result.server.digest,
      });
    }
    const { figures } = result;
    console.info(
      `[load] ${CLIENTS} clients in ${result.processes} processes × ${WRITES} writes over ${result.servers} server processes: ` +
        `all ${total} stored once, every client converged. Acknowledged in ${figures.acknowledgedMs} ms (${figures.acknowledgedPerSecond} writes/s), ` +
        `seen everywhere in ${figures.convergedMs} ms (${figures.convergedPerSecond} writes/s); write → \`$\` on another client ` +
        `p50 ${figures.endToEnd.p50} ms, p99 ${figures.endToEnd.p99} ms; CPU servers ${figures.serverCpuMs.join(' / ')} ms, clients ${figures.clientCpuMs} ms ` +
        `(figures, not asserted; npm run bench -- load measures them)`,
    );
  }, 300_000);
});
