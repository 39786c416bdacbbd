import type Database from 'better-sqlite3';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import { LAYOUT_VERSION } from './open-sqlite-file.ts';

/**
 * The file's layout: one registry row per RxDB storage instance (database, collection,
 * schema version), naming its table `t<n>_docs`: rid, id (unique), doc (the document as
 * JSON) and one column `k<j>` per index holding the document's key in that index (see
 * index-key.ts), with a SQLite index `t<n>_i<j>` on it. A range of an RxDB index is a range
 * scan of that SQLite index; a write is one statement and SQLite keeps the indexes.
 */
export interface TableNames {
  readonly docs: string;
  /** The SQLite index over key column `k<j>`, per RxDB index j. */
  readonly indexes: readonly string[];
}

const REGISTRY = 'brain_store_tables';

function ensureRegistry(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${REGISTRY} (
    n INTEGER PRIMARY KEY,
    database TEXT NOT NULL,
    collection TEXT NOT NULL,
    version INTEGER NOT NULL,
    indexes TEXT NOT NULL,
    UNIQUE (database, collection, version)
  )`);
  if ((db.pragma('user_version', { simple: true }) as number) < LAYOUT_VERSION) db.pragma(`user_version = ${LAYOUT_VERSION}`);
}

function namesOf(n: number, indexCount: number): TableNames {
  return { docs: `t${n}_docs`, indexes: Array.from({ length: indexCount }, (_, j) => `t${n}_i${j}`) };
}

function createTables(db: Database.Database, names: TableNames): void {
  const keys = names.indexes.map((_, j) => `, k${j} BLOB NOT NULL`).join('');
  db.exec(`CREATE TABLE IF NOT EXISTS ${names.docs} (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL${keys})`);
  names.indexes.forEach((index, j) => db.exec(`CREATE INDEX IF NOT EXISTS ${index} ON ${names.docs} (k${j})`));
}

export interface OpenTableRequest {
  readonly path: string;
  readonly database: string;
  readonly collection: string;
  readonly version: number;
  readonly indexes: readonly (readonly string[])[];
}

export interface OpenedTable {
  readonly names: TableNames;
  /** The index tables must be refilled from the documents (the index list changed). */
  readonly rebuild: boolean;
}

/**
 * Finds or creates the tables of one storage instance, in one transaction. Refuses to
 * create a table for a schema version lower than one the file already holds: that is an
 * older brain-store opening a newer file, which would otherwise show an empty collection.
 */
export function openTable(db: Database.Database, request: OpenTableRequest): OpenedTable {
  return db.transaction((): OpenedTable => {
    ensureRegistry(db);
    const indexes = JSON.stringify(request.indexes);
    const row = db
      .prepare(`SELECT n, indexes FROM ${REGISTRY} WHERE database = ? AND collection = ? AND version = ?`)
      .get(request.database, request.collection, request.version) as { n: number; indexes: string } | undefined;
    if (row) {
      const names = namesOf(row.n, request.indexes.length);
      if (row.indexes === indexes) return { names, rebuild: false };
      // The index list changed: a new table with the new key columns, the documents copied
      // over; the caller recomputes the keys (rebuild).
      db.exec(`ALTER TABLE ${names.docs} RENAME TO ${names.docs}_old`);
      for (const { name } of db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`)
        .all(`${names.docs}_old`) as {
        name: string;
      }[]) {
        if (!name.startsWith('sqlite_')) db.exec(`DROP INDEX ${name}`);
      }
      const emptyKeys = names.indexes.map((_, j) => `k${j}`);
      createTables(db, names);
      db.exec(
        `INSERT INTO ${names.docs} (rid, id, doc${emptyKeys.map((k) => `, ${k}`).join('')}) SELECT rid, id, doc${emptyKeys.map(() => `, x''`).join('')} FROM ${names.docs}_old`,
      );
      db.exec(`DROP TABLE ${names.docs}_old`);
      db.prepare(`UPDATE ${REGISTRY} SET indexes = ? WHERE n = ?`).run(indexes, row.n);
      return { names, rebuild: true };
    }
    const newer = db
      .prepare(`SELECT max(version) AS version FROM ${REGISTRY} WHERE database = ? AND collection = ? AND version > ?`)
      .get(request.database, request.collection, request.version) as { version: number | null };
    if (newer.version !== null) {
      throw new BrainStoreError('STORAGE_FILE', {
        parameters: { path: request.path, reason: 'newer-version', collection: request.collection, version: newer.version },
        message: `${request.path} holds ${request.collection} at schema version ${newer.version}, newer than this brain-store's ${request.version}: upgrade brain-store, or pass another \`path\`.`,
      });
    }
    const { lastInsertRowid } = db
      .prepare(`INSERT INTO ${REGISTRY} (database, collection, version, indexes) VALUES (?, ?, ?, ?)`)
      .run(request.database, request.collection, request.version, indexes);
    const names = namesOf(Number(lastInsertRowid), request.indexes.length);
    createTables(db, names);
    return { names, rebuild: false };
  })();
}

/** Drops the tables of one storage instance and its registry row. */
export function dropTable(db: Database.Database, request: Omit<OpenTableRequest, 'path' | 'indexes'>, names: TableNames): void {
  db.transaction(() => {
    db.exec(`DROP TABLE IF EXISTS ${names.docs}`);
    db.prepare(`DELETE FROM ${REGISTRY} WHERE database = ? AND collection = ? AND version = ?`).run(
      request.database,
      request.collection,
      request.version,
    );
  })();
}
