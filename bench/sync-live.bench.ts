/**
 * Sync that never stalls (issue 10): delivery latency while a write transaction stays open
 * in another database of the PostgreSQL cluster (30 s), and bytes on the wire for the
 * initial pull of 100k actions with and without compression (PGlite and PostgreSQL).
 * End-to-end latency is the `sync` group's `e2e` part.
 */
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { info } from './lib/bench-module.ts';
import { SERVER_BACKENDS, postgresUnavailable, startBenchServer } from './lib/sync-server.ts';
import { benchForeignTransaction } from './sync/foreign-transaction.ts';
import { benchWireBytes } from './sync/wire-bytes.ts';

const syncLive: BenchModule = {
  name: 'sync-live',
  description:
    'Delivery A → B while a foreign transaction stays open 30 s in another database of the cluster (p99 ≤ 1 s), and bytes on the wire for the 100k initial pull with and without gzip.',
  async run(context) {
    const rows: BenchRow[] = [];
    // Development filter: BENCH_SYNC_LIVE_PARTS=foreign,bytes
    const only = process.env['BENCH_SYNC_LIVE_PARTS']?.split(',');
    for (const backend of SERVER_BACKENDS) {
      const reason = backend === 'postgres' ? await postgresUnavailable() : undefined;
      if (reason !== undefined) {
        context.log(`sync-live ${backend}: skipped — ${reason}`);
        continue;
      }
      if (!only || only.includes('bytes')) {
        const server = await startBenchServer(backend);
        try {
          context.log(`sync-live ${backend}: bytes`);
          rows.push(...(await benchWireBytes(context, server)));
        } finally {
          await server.close();
        }
      }
      if (only && !only.includes('foreign')) continue;
      if (backend === 'pglite') {
        rows.push(
          info({
            id: 'foreign-open.pglite.p99',
            name: 'delivery while a foreign transaction is open',
            subject: 'pglite',
            value: null,
            unit: 'ms',
            note: 'not applicable: PGlite is one connection inside the server, nothing else can hold a transaction open',
          }),
        );
        continue;
      }
      const server = await startBenchServer(backend);
      try {
        context.log(`sync-live ${backend}: foreign transaction`);
        rows.push(...(await benchForeignTransaction(context, server)));
      } finally {
        await server.close();
      }
    }
    return rows;
  },
};

export default syncLive;
