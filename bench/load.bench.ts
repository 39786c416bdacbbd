/**
 * Load (issue 11 §4), on PostgreSQL: 50 brain-store clients over 13 processes, 100 writes
 * each, all at once, replicating live to two sync server processes on one database — the
 * same driver as test/reliability/load.pg.test.ts (harness/load/load-driver.ts),
 * which asserts that everything arrives once and every client converges; here the figures:
 * throughput, write → `$` on the other clients p50/p99, CPU per server instance; then the
 * same 50 clients writing one action every 2 s each (25 writes/s offered), for the latency
 * without a backlog. The baseline, in the same run: two clients writing 10 times a second
 * each, nothing else.
 */
import { runLoad, type LoadResult } from '../harness/load/load-driver.ts';
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { info } from './lib/bench-module.ts';
import { loadNote } from './lib/load-note.ts';
import { round } from './lib/stats.ts';
import { postgresUnavailable } from './lib/sync-server.ts';

const PACED_INTERVAL_MS = 2_000;
const POSTGRES_URL =
  process.env['BRAIN_STORE_BENCH_PG_URL'] ?? process.env['BRAIN_STORE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

/** The test's checks, so a figure never comes from a run that lost or duplicated a write. */
function check(result: LoadResult): string {
  const total = result.clients * result.writes;
  const once = result.server.rows === total && new Set(result.acknowledged).size === total && result.server.deleted === 0;
  const same = result.converged && result.stores.every((store) => store.digest === result.server.digest && store.unseen === 0);
  if (!once || !same) throw new Error(`load run not correct: stored once ${once}, converged ${same} (the load test says more)`);
  return `all ${total} stored once, all ${result.clients} clients converged`;
}

const describeRun = (result: LoadResult) =>
  `${result.clients} clients in ${result.processes} processes × ${result.writes} writes, ${result.servers} server processes`;

const load: BenchModule = {
  name: 'load',
  description:
    'PostgreSQL, 2 server processes: 50 clients over 13 processes × 100 writes at once — throughput, write → `$` on the other clients p50/p99, CPU per instance; the same clients paced at 25 writes/s.',
  unavailable: postgresUnavailable,
  async run(context) {
    const clients = context.scale(50, 8);
    const writes = context.scale(100, 5);
    const log = (message: string) => context.log(`load: ${message}`);

    const baseline = await runLoad({
      pgUrl: POSTGRES_URL,
      clients: 2,
      writes: context.scale(30, 5),
      intervalMs: 100,
      convergeTimeoutMs: 60_000,
      log,
    });
    const baselineCheck = check(baseline);
    const result = await runLoad({ pgUrl: POSTGRES_URL, clients, writes, intervalMs: 0, convergeTimeoutMs: 600_000, log });
    const checked = check(result);
    // The same clients writing at a pace the system keeps up with: latency without a backlog.
    const paced = await runLoad({
      pgUrl: POSTGRES_URL,
      clients,
      writes: context.scale(20, 3),
      intervalMs: PACED_INTERVAL_MS,
      convergeTimeoutMs: 600_000,
      log,
    });
    const pacedCheck = check(paced);
    const f = result.figures;
    const b = baseline.figures;
    const total = clients * writes;
    const run = `${describeRun(result)}; ${checked}`;
    const rows: BenchRow[] = [
      info({
        id: 'throughput.acknowledged',
        name: `writes acknowledged per second, ${clients} clients × ${writes} at once`,
        subject: 'postgres',
        value: f.acknowledgedPerSecond,
        unit: 'writes/s',
        note: `${run}; last acknowledgement ${f.acknowledgedMs} ms after the start; write → acknowledged p50 ${f.acknowledgement.p50} ms, p99 ${f.acknowledgement.p99} ms${loadNote()}`,
        details: { acknowledgement: f.acknowledgement },
      }),
      info({
        id: 'throughput.converged',
        name: `writes seen by every client per second, ${clients} clients × ${writes} at once`,
        subject: 'postgres',
        value: f.convergedPerSecond,
        unit: 'writes/s',
        note: `${total} writes on every one of ${clients} clients (${total * clients} deliveries) ${f.convergedMs} ms after the start${loadNote()}`,
      }),
    ];
    for (const p of ['p50', 'p99'] as const) {
      rows.push(
        info({
          id: `e2e.${p}`,
          name: `write on one client → \`$\` on another (${p}), ${clients} clients × ${writes} at once`,
          subject: 'postgres',
          value: f.endToEnd[p],
          unit: 'ms',
          note:
            `${f.endToEnd.n} samples (each write × each other client), one machine clock; p90 ${f.endToEnd.p90} ms, max ${f.endToEnd.max} ms. ` +
            `Baseline, same run (2 clients, ${baseline.writes} writes each 100 ms apart, ${baselineCheck}): ${p} ${b.endToEnd[p]} ms, so ` +
            `${round(f.endToEnd[p] / b.endToEnd[p], 1)}× under load: the writes arrive faster than the system drains them, so the latency is the backlog's${loadNote()}`,
          details: { load: f.endToEnd, baseline: b.endToEnd },
        }),
      );
    }
    for (const p of ['p50', 'p99'] as const) {
      rows.push(
        info({
          id: `e2e-paced.${p}`,
          name: `write → \`$\` on another (${p}), ${clients} clients each writing every ${PACED_INTERVAL_MS / 1000} s`,
          subject: 'postgres',
          value: paced.figures.endToEnd[p],
          unit: 'ms',
          note:
            `${describeRun(paced)}, ${round((clients * 1000) / PACED_INTERVAL_MS, 1)} writes/s offered; ${pacedCheck}; ${paced.figures.endToEnd.n} samples, ` +
            `p90 ${paced.figures.endToEnd.p90} ms, max ${paced.figures.endToEnd.max} ms; write → acknowledged p50 ${paced.figures.acknowledgement.p50} ms. ` +
            `Baseline (2 clients): ${p} ${b.endToEnd[p]} ms, so ${round(paced.figures.endToEnd[p] / b.endToEnd[p], 1)}×; ` +
            `server CPU ${paced.figures.serverCpuMs.join(' / ')} ms, clients ${paced.figures.clientCpuMs} ms${loadNote()}`,
          details: { paced: paced.figures.endToEnd, baseline: b.endToEnd },
        }),
      );
    }
    rows.push(
      info({
        id: 'cpu.servers',
        name: 'server CPU per write, each instance',
        subject: 'postgres',
        value: round(Math.max(...f.serverCpuMs) / total, 2),
        unit: 'ms',
        note:
          `CPU (user + system, /proc) of the server processes while the writes ran and spread: ${f.serverCpuMs.join(' / ')} ms for ${total} writes ` +
          `(pushes plus the pulls of ${clients} clients); all client processes together ${f.clientCpuMs} ms (${round(f.clientCpuMs / total, 2)} ms per write, ` +
          `${round((f.clientCpuMs * 1000) / (total * clients), 1)} µs per document delivered); PostgreSQL not counted. ` +
          `Baseline: servers ${b.serverCpuMs.join(' / ')} ms for ${baseline.clients * baseline.writes} writes${loadNote()}`,
        details: {
          serverCpuMs: f.serverCpuMs,
          clientCpuMs: f.clientCpuMs,
          baseline: { serverCpuMs: b.serverCpuMs, clientCpuMs: b.clientCpuMs },
        },
      }),
    );
    return rows;
  },
};

export default load;
