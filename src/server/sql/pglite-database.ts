import { constants } from 'node:fs';
import { access, mkdir, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import { SESSION_SETTINGS, type SqlDatabase, type SqlExecutor, type SqlListener } from './sql-database.ts';

/**
 * The embedded adapter. PGlite runs one connection, so statements and transactions are
 * serialized by PGlite itself; its listen/notify works inside the one instance, which is
 * all the fan-out an embedded server needs (several servers in one process can share it).
 *
 * @example
 * const db = await openPgliteDatabase({ dataDir: './data' }); // in memory without dataDir
 */
export async function openPgliteDatabase(options: { dataDir?: string; minFreeBytes?: number } = {}): Promise<SqlDatabase> {
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
  // Opening writes too (recovery, a checkpoint): on a full disk PGlite could hang, so refuse first.
  const guard = diskGuard(dataDir, options.minFreeBytes ?? MIN_FREE_BYTES);
  await guard(exists ? dataDir : dirname(dataDir)).catch((cause: unknown) => {
    if (!(cause instanceof BrainStoreError)) throw cause;
    throw unusable(
      dataDir,
      'disk-full',
      `its disk is full (${String(cause.parameters['freeBytes'])} bytes free, ${String(cause.parameters['minFreeBytes'])} needed)`,
      cause,
    );
  });
  try {
    return wrapPglite(await PGlite.create(dataDir), () => guard(dataDir));
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

/**
 * Free space kept on the data directory's disk. PGlite does not survive PostgreSQL failing
 * to create a write-ahead-log segment (16 MiB each) for lack of space: the server process
 * spun at full CPU and answered nothing, health checks included (issue 11, chaos: disk
 * full). Below this, writes are refused with a clear error before they reach PGlite; reads
 * go on. Room for a new segment plus the largest push (8 MiB of JSON, several times that in
 * rows, indexes and log).
 */
const MIN_FREE_BYTES = 64 * 1024 * 1024;
/** Statements outside a transaction that may write (the others are reads and go on when the disk is full). */
const WRITING = /\b(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE|COPY|VACUUM)\b/i;

/** Throws a disk-full STORAGE error when the disk of `path` (the data directory or, before it exists, its folder) has less than `minFreeBytes` free. */
function diskGuard(dataDir: string, minFreeBytes: number): (path: string) => Promise<void> {
  return async (path) => {
    const disk = await statfs(path);
    const freeBytes = disk.bavail * disk.bsize;
    if (freeBytes >= minFreeBytes) return;
    throw new BrainStoreError('STORAGE', {
      parameters: { path: dataDir, reason: 'disk-full', freeBytes, minFreeBytes },
      message: `The disk of the PGlite data directory ${dataDir} is full (${(freeBytes / 2 ** 20).toFixed(1)} MiB free; writes need ${(minFreeBytes / 2 ** 20).toFixed(0)} MiB). Nothing of this write was stored; reads go on. Free disk space: writes resume by themselves.`,
    });
  };
}

/** Wraps an existing PGlite instance; `close()` closes it. `beforeWrite` may refuse a write (the disk guard). */
export function wrapPglite(pg: PGlite, beforeWrite: () => Promise<void> = async () => undefined): SqlDatabase {
  // PGlite is one session: the server's planner settings are made once, before its first statement.
  let configured: Promise<unknown> | undefined;
  const configure = () =>
    (configured ??= pg.exec(
      Object.entries(SESSION_SETTINGS)
        .map(([name, value]) => `SET ${name} = ${value};`)
        .join(' '),
    ));
  const executor = (target: Pick<PGlite, 'query'>, guarded: boolean): SqlExecutor => ({
    async query<Row extends object>(text: string, params: readonly unknown[] = []) {
      if (guarded) await configure();
      if (guarded && WRITING.test(text)) await beforeWrite();
      const result = await target.query<Row>(text, [...params]);
      return result.rows;
    },
  });
  return {
    kind: 'pglite',
    ...executor(pg, true),
    async transaction(work) {
      await configure();
      await beforeWrite();
      return pg.transaction((tx) => work(executor(tx, false)));
    },
    async listen(channel: string, listener: SqlListener) {
      // PGlite never loses its "connection", so onReconnect is never called.
      return pg.listen(channel, listener.onNotify);
    },
    async close() {
      if (!pg.closed) await pg.close();
    },
  };
}
