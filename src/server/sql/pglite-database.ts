import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlDatabase, SqlExecutor, SqlListener } from './sql-database.ts';

/**
 * The embedded adapter. PGlite runs one connection, so statements and transactions are
 * serialized by PGlite itself; its listen/notify works inside the one instance, which is
 * all the fan-out an embedded server needs (several servers in one process can share it).
 *
 * @example
 * const db = await openPgliteDatabase({ dataDir: './data' }); // in memory without dataDir
 */
export async function openPgliteDatabase(options: { dataDir?: string } = {}): Promise<SqlDatabase> {
  if (options.dataDir === undefined) return wrapPglite(await PGlite.create());
  // PGlite creates the data directory itself but not its parents (e.g. `.data/pglite`).
  await mkdir(dirname(options.dataDir), { recursive: true });
  const pg = await PGlite.create(options.dataDir);
  return wrapPglite(pg);
}

/** Wraps an existing PGlite instance; `close()` closes it. */
export function wrapPglite(pg: PGlite): SqlDatabase {
  const executor = (target: Pick<PGlite, 'query'>): SqlExecutor => ({
    async query<Row extends object>(text: string, params: readonly unknown[] = []) {
      const result = await target.query<Row>(text, [...params]);
      return result.rows;
    },
  });
  return {
    kind: 'pglite',
    ...executor(pg),
    transaction: (work) => pg.transaction((tx) => work(executor(tx))),
    async listen(channel: string, listener: SqlListener) {
      // PGlite never loses its "connection", so onReconnect is never called.
      return pg.listen(channel, listener.onNotify);
    },
    async close() {
      if (!pg.closed) await pg.close();
    },
  };
}
