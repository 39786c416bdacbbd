/**
 * Durable Node storage (issue 7, item 7): brain-store's SQLite storage — bulk insert vs raw
 * better-sqlite3, cold top-20 reads at 1k–100k, expiring 10k of 100k, reopen time and RSS
 * with 100k actions; initial pull of 100k actions into a SQLite store through the real sync
 * server vs raw SELECT + raw better-sqlite3 inserts; RxDB's runPerformanceTests over memory,
 * Dexie (fake-indexeddb) and SQLite side by side.
 */
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { benchInsertVsRaw } from './storage/insert-vs-raw.ts';
import { benchColdPrioritySqlite } from './storage/cold-priority-sqlite.ts';
import { benchExpireSqlite } from './storage/expire-sqlite.ts';
import { benchReopenRss } from './storage/reopen-rss.ts';
import { benchPerformanceTests } from './storage/performance-tests.ts';
import { benchInitialPull } from './sync/initial-pull.ts';
import { postgresUnavailable, startBenchServer, type ServerBackend } from './lib/sync-server.ts';
import type { BenchContext } from './lib/bench-module.ts';

/**
 * The pull into SQLite, through the sync server on PostgreSQL when it is reachable (its SQL
 * then runs in another process, as in production), else on PGlite in this process.
 */
async function benchPullIntoSqlite(context: BenchContext): Promise<BenchRow[]> {
  const chosen = process.env['BENCH_STORAGE_PULL_BACKEND'] as ServerBackend | undefined;
  const backend: ServerBackend = chosen ?? ((await postgresUnavailable()) === undefined ? 'postgres' : 'pglite');
  const server = await startBenchServer(backend);
  try {
    return await benchInitialPull(context, server, 'sqlite');
  } finally {
    await server.close();
  }
}

const storage: BenchModule = {
  name: 'storage',
  description:
    'SQLite storage (better-sqlite3, WAL, synchronous FULL): 10k inserts vs raw better-sqlite3, cold top-20 at 1k–100k, expiring 10k of 100k, reopen and RSS with 100k actions, initial pull of 100k through the sync server vs raw SELECT + raw better-sqlite3 insert, RxDB runPerformanceTests on memory / Dexie / SQLite.',
  async run(context) {
    const rows: BenchRow[] = [];
    // Development filter: BENCH_STORAGE_PARTS=pull,perf
    const only = process.env['BENCH_STORAGE_PARTS']?.split(',');
    const parts = [
      { id: 'insert', run: benchInsertVsRaw },
      { id: 'cold', run: benchColdPrioritySqlite },
      { id: 'expire', run: benchExpireSqlite },
      { id: 'reopen', run: benchReopenRss },
      { id: 'pull', run: benchPullIntoSqlite },
      { id: 'perf', run: benchPerformanceTests },
    ];
    for (const part of parts) {
      if (only && !only.includes(part.id)) continue;
      rows.push(...(await part.run(context)));
    }
    return rows;
  },
};

export default storage;
