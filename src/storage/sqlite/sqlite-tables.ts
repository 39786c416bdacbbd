import type Database from 'better-sqlite3';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import { LAYOUT_VERSION } from './open-sqlite-file.ts';

/**
 * The file's layout: one registry row per RxDB storage instance (database, collection,
 * schema version), naming its tables:
 * - `t<n>_docs`: rid, id (unique), doc (the document as JSON);
 * - `t<n>_i<j>`: one WITHOUT ROWID table per index, key (see index-key.ts) → rid, so a
 *   range of an index is a range scan of its table's primary key.
 */
export interface TableNames {
  readonly docs: string;
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
  db.exec(`CREATE TABLE IF NOT EXISTS ${names.docs} (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL)`);
  for (const table of names.indexes)
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (k BLOB PRIMARY KEY, rid INTEGER NOT NULL) WITHOUT ROWID`);
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
      const previous = JSON.parse(row.indexes) as unknown[];
      const names = namesOf(row.n, request.indexes.length);
      if (row.indexes === indexes) return { names, rebuild: false };
      for (let j = 0; j < previous.length; j++) db.exec(`DROP TABLE IF EXISTS t${row.n}_i${j}`);
      createTables(db, names);
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
    for (const table of [names.docs, ...names.indexes]) db.exec(`DROP TABLE IF EXISTS ${table}`);
    db.prepare(`DELETE FROM ${REGISTRY} WHERE database = ? AND collection = ? AND version = ?`).run(
      request.database,
      request.collection,
      request.version,
    );
  })();
}
