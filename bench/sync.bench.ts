/**
 * Sync (issue 3, item 11), on PGlite (in memory) and on PostgreSQL (a fresh database,
 * dropped after): initial pull of 100k actions into an empty memory-storage client against
 * a raw SELECT + raw insert; push of 10k bot writes against a raw batched INSERT; end-to-end
 * latency from a write on client A to the `$` emission on client B through the server.
 * Server and clients run in this one process over loopback HTTP.
 */
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { SERVER_BACKENDS, postgresUnavailable, startBenchServer, type ServerBackend } from './lib/sync-server.ts';
import { benchInitialPull } from './sync/initial-pull.ts';
import { benchPush } from './sync/push.ts';
import { benchEndToEnd } from './sync/end-to-end.ts';

const PARTS = [
  { id: 'pull', run: benchInitialPull, rows: ['ratio', 'docs-per-s'] },
  { id: 'push', run: benchPush, rows: ['ratio'] },
  { id: 'e2e', run: benchEndToEnd, rows: ['p50', 'p99'] },
] as const;

const sync: BenchModule = {
  name: 'sync',
  description:
    'Sync server (in-process, loopback HTTP) on PGlite in memory and on PostgreSQL: initial pull of 100k actions into a memory-storage client vs raw SELECT + raw insert, push of 10k bot writes vs raw batched INSERT, write-on-A to `$`-on-B latency.',
  async run(context) {
    const rows: BenchRow[] = [];
    // Development filters: BENCH_SYNC_PARTS=pull,push  BENCH_SYNC_BACKENDS=pglite
    const only = process.env['BENCH_SYNC_PARTS']?.split(',');
    const backends = process.env['BENCH_SYNC_BACKENDS']?.split(',');
    for (const backend of SERVER_BACKENDS) {
      if (backends && !backends.includes(backend)) continue;
      const reason = backend === 'postgres' ? await postgresUnavailable() : undefined;
      if (reason !== undefined) {
        context.log(`sync ${backend}: skipped — ${reason}`);
        rows.push(...skippedRows(backend, reason));
        continue;
      }
      for (const part of PARTS) {
        if (only && !only.includes(part.id)) continue;
        // A server per part: a fresh table, so one part's rows never weigh on the next.
        const server = await startBenchServer(backend);
        try {
          context.log(`sync ${backend}: ${part.id}`);
          rows.push(...(await part.run(context, server)));
        } finally {
          await server.close();
        }
      }
    }
    return rows;
  },
};

function skippedRows(backend: ServerBackend, reason: string): BenchRow[] {
  return PARTS.flatMap((part) =>
    part.rows.map((row): BenchRow => ({
      id: `${part.id}.${backend}.${row}`,
      name: `${part.id} ${row}`,
      subject: backend,
      value: null,
      unit: '',
      target: null,
      status: 'skipped',
      note: reason,
    })),
  );
}

export default sync;
