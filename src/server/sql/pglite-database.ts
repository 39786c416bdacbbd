import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
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
  const dataDir = options.dataDir;
  // PGlite creates the data directory itself but not its parents (e.g. `.data/pglite`).
  await mkdir(dirname(dataDir), { recursive: true }).catch((cause: unknown) => {
    throw unusable(dataDir, 'no-folder', `its folder ${dirname(dataDir)} cannot be created`, cause);
  });
  // PGlite reports a read-only directory only as "failed to initialize properly": name it.
  const exists = await access(dataDir).then(
    () => true,
    () => false,
  );
  const folders = exists ? [dataDir, join(dataDir, 'base'), join(dataDir, 'global'), join(dataDir, 'pg_wal')] : [dirname(dataDir)];
  for (const folder of folders) {
    const error = await access(folder, constants.W_OK).catch((cause: NodeJS.ErrnoException) => cause);
    if (error && error.code !== 'ENOENT') throw unusable(dataDir, 'not-writable', `${folder} is not writable by this user`, error);
  }
  try {
    return wrapPglite(await PGlite.create(dataDir));
  } catch (cause) {
    throw unusable(dataDir, 'not-a-database', 'PGlite could not open it (not a PGlite data directory, or the disk is full)', cause);
  }
}

/** A data directory PGlite cannot use: the path, why, and what to do (issue 11: a read-only directory). */
function unusable(path: string, reason: string, why: string, cause: unknown): BrainStoreError {
  return new BrainStoreError('STORAGE_FILE', {
    parameters: { path, reason },
    message: `cannot use the PGlite data directory ${path}: ${why}. Fix its permissions or free disk space, or point dataDir elsewhere; nothing was changed.`,
    cause,
  });
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
