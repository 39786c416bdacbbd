import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BrainStoreError } from '../../errors/brain-store-error.ts';

/** The layout of brain-store's tables in the file (PRAGMA user_version); bump on any change. */
export const LAYOUT_VERSION = 1;

/**
 * What a power cut may cost, per setting (WAL mode; a crash of the process alone — kill -9,
 * an exception — never loses a committed write with either):
 * - `FULL` (default): every commit is fsynced before `bulkWrite` resolves, so a write the
 *   caller was told about survives a power cut or kernel panic too. Costs one fsync per
 *   write transaction.
 * - `NORMAL`: the WAL is fsynced only at checkpoints; a power cut can roll back the last
 *   committed transactions (never corrupt the file). For bulk loaders that can redo work.
 */
/** The page cache of a connection, in KiB (see openConnection). */
const CACHE_KIB = 32 * 1024;

export type SynchronousMode = 'FULL' | 'NORMAL';

export interface SqliteFileOptions {
  readonly synchronous?: SynchronousMode;
  /** How long to wait for a file another process holds before refusing it. Default 1000 ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * One connection per file per process, shared by every storage instance on it. The
 * connection holds SQLite's exclusive lock (locking_mode EXCLUSIVE) for its lifetime: a
 * second process gets a clear `in-use` error instead of a store whose reactive queries
 * would never see the other process's writes. The OS drops the lock when the process dies.
 */
export interface SqliteFile {
  readonly path: string;
  readonly db: Database.Database;
  /** Per table: what every storage instance of it shares in this process (its change stream). */
  readonly tables: Map<string, object>;
  refs: number;
}

const OPEN_FILES = new Map<string, SqliteFile>();

function fileError(path: string, reason: string, message: string, cause?: unknown): BrainStoreError {
  return new BrainStoreError('STORAGE_FILE', { parameters: { path, reason }, message, ...(cause === undefined ? {} : { cause }) });
}

/** The absolute path, with the folder's symlinks resolved, so two spellings share one connection. */
function canonicalPath(path: string): string {
  const absolute = resolve(path);
  const folder = dirname(absolute);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw fileError(absolute, 'no-folder', `The folder of ${absolute} does not exist: create it, or pass another \`path\`.`);
  }
  return join(realpathSync(folder), basename(absolute));
}

function checkWritable(path: string): void {
  const target = existsSync(path) ? path : dirname(path);
  try {
    accessSync(target, constants.W_OK | constants.R_OK);
  } catch (cause) {
    throw fileError(
      path,
      'not-writable',
      `${target} is not writable by this process: fix its permissions or pass a \`path\` in a writable folder.`,
      cause,
    );
  }
}

function sqliteCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** Maps SQLite's failures while opening to what the user should do about them. */
function openError(path: string, cause: unknown): BrainStoreError {
  const code = sqliteCode(cause) ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return fileError(path, 'not-a-database', `${path} is not a SQLite database: move it away or pass another \`path\`.`, cause);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return fileError(
      path,
      'in-use',
      `${path} is in use by another process: stop that process (one process per file), or give this one its own \`path\`.`,
      cause,
    );
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM'))
    return fileError(path, 'not-writable', `${path} cannot be opened for writing: fix its permissions or pass another \`path\`.`, cause);
  return fileError(path, 'unreadable', `${path} could not be opened: ${String(cause)}`, cause);
}

function openConnection(path: string, options: SqliteFileOptions): Database.Database {
  checkWritable(path);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 1000 });
  } catch (cause) {
    throw openError(path, cause);
  }
  try {
    // Before any read: the lock is taken by the first access and kept until close().
    db.pragma('locking_mode = EXCLUSIVE');
    const layout = db.pragma('user_version', { simple: true }) as number;
    if (layout > LAYOUT_VERSION) {
      throw fileError(
        path,
        'newer-version',
        `${path} was written by a newer brain-store (storage layout ${layout}, this one reads up to ${LAYOUT_VERSION}): upgrade brain-store, or pass another \`path\`.`,
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    // SQLite's default cache (2 MiB) is far smaller than what one page of a first sync dirties
    // (5,000 actions: the rows and their index entries, ~25 MiB), so SQLite spilled dirty pages
    // to the WAL mid-transaction and wrote them again at the commit: measured on 100k actions,
    // 32 MiB cuts the write calls by a quarter (390k → 299k) and the reads by half. The cache
    // only grows as pages are used, so a small store stays small.
    db.pragma(`cache_size = ${-CACHE_KIB}`);
    // Take the write lock now, not at the first write: a second process is refused at open.
    db.exec('BEGIN IMMEDIATE; COMMIT');
    return db;
  } catch (cause) {
    db.close();
    throw cause instanceof BrainStoreError ? cause : openError(path, cause);
  }
}

/** Opens (or shares) the connection to `path`; release it with `releaseSqliteFile`. */
export function acquireSqliteFile(path: string, options: SqliteFileOptions = {}): SqliteFile {
  const key = canonicalPath(path);
  let file = OPEN_FILES.get(key);
  if (!file) {
    file = { path: key, db: openConnection(key, options), tables: new Map(), refs: 0 };
    OPEN_FILES.set(key, file);
  }
  file.refs += 1;
  return file;
}

export function releaseSqliteFile(file: SqliteFile): void {
  file.refs -= 1;
  if (file.refs > 0) return;
  OPEN_FILES.delete(file.path);
  file.db.close();
}
