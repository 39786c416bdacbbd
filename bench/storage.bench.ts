/**
 * Durable Node storage (issue 7, item 7): brain-store's SQLite storage — bulk insert vs raw
 * better-sqlite3, cold top-20 reads at 1k–100k, expiring 10k of 100k, reopen time and RSS
 * with 100k actions.
 */
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { benchInsertVsRaw } from './storage/insert-vs-raw.ts';
import { benchColdPrioritySqlite } from './storage/cold-priority-sqlite.ts';
import { benchExpireSqlite } from './storage/expire-sqlite.ts';
import { benchReopenRss } from './storage/reopen-rss.ts';

const storage: BenchModule = {
  name: 'storage',
  description:
    'SQLite storage (better-sqlite3, WAL, synchronous FULL): 10k inserts vs raw better-sqlite3, cold top-20 at 1k–100k, expiring 10k of 100k, reopen and RSS with 100k actions.',
  async run(context) {
    const rows: BenchRow[] = [];
    for (const part of [benchInsertVsRaw, benchColdPrioritySqlite, benchExpireSqlite, benchReopenRss]) {
      rows.push(...(await part(context)));
    }
    return rows;
  },
};

export default storage;
