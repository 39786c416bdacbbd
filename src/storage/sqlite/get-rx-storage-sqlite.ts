import { Subject } from 'rxjs';
import {
  ensureRxStorageInstanceParamsAreCorrect,
  getPrimaryFieldOfPrimaryKey,
  RXDB_VERSION,
  type RxStorage,
  type RxStorageInstanceCreationParams,
} from 'rxdb';
import { documentKeys, indexKeyEncoder } from './index-key.ts';
import { acquireSqliteFile, releaseSqliteFile, type SqliteFileOptions } from './open-sqlite-file.ts';
import { RxStorageInstanceSQLite, type SqliteInternals, type TableState } from './rx-storage-instance-sqlite.ts';
import { openTable } from './sqlite-tables.ts';

export interface RxStorageSQLiteOptions extends SqliteFileOptions {
  /** The database file. Its folder must exist; the file is created when missing. */
  readonly path: string;
}

export type RxStorageSQLite = RxStorage<SqliteInternals, object>;

/**
 * The indexes RxDB's schema declares, plus what this storage reads itself: changes since a
 * checkpoint (`[_meta.lwt, id]`, which RxDB's filled schemas declare already) and the
 * tombstones for cleanup(). RxDB starts every declared index with `_deleted`, so the
 * tombstones are one range of any of them; only a schema without such an index gets
 * `[_deleted, _meta.lwt, id]` of its own (an index costs every insert one more B-tree write:
 * ~15 % of the SQLite time of a first sync of brainActions, measured).
 */
function indexesOf(schema: RxStorageInstanceCreationParams<unknown, object>['schema']): string[][] {
  const primaryPath = getPrimaryFieldOfPrimaryKey(schema.primaryKey) as string;
  const indexes = (schema.indexes ?? []).map((index) => (Array.isArray(index) ? [...index] : [index as string]));
  indexes.push(['_meta.lwt', primaryPath]);
  if (!indexes.some((index) => index[0] === '_deleted')) indexes.push(['_deleted', '_meta.lwt', primaryPath]);
  const seen = new Set<string>();
  return indexes.filter((index) => !seen.has(index.join(',')) && seen.add(index.join(',')));
}

/**
 * A durable RxDB storage on SQLite (better-sqlite3), for Node: WAL, one transaction per
 * bulkWrite, queries served by range scans of the schema's indexes.
 * @example
 * import { getRxStorageSQLite } from '@brain-store/node';
 * const store = await createBrainStore({ name: 'bot', storage: getRxStorageSQLite({ path: '.data/bot.sqlite' }) });
 */
export function getRxStorageSQLite(options: RxStorageSQLiteOptions): RxStorageSQLite {
  return {
    name: 'brain-store-sqlite',
    rxdbVersion: RXDB_VERSION,
    // async: a failure to open is a rejected promise, as RxDB expects, never a synchronous throw
    async createStorageInstance<Doc>(params: RxStorageInstanceCreationParams<Doc, object>) {
      ensureRxStorageInstanceParamsAreCorrect(params);
      const file = acquireSqliteFile(options.path, options);
      try {
        const indexes = indexesOf(params.schema as never);
        const opened = openTable(file.db, {
          path: file.path,
          database: params.databaseName,
          collection: params.collectionName,
          version: params.schema.version,
          indexes,
        });
        let table = file.tables.get(opened.names.docs) as TableState<Doc> | undefined;
        if (!table || opened.rebuild) {
          table = {
            names: opened.names,
            indexes: indexes.map((fields) => indexKeyEncoder(params.schema, fields)),
            keysOf: documentKeys(params.schema, indexes),
            changes$: table?.changes$ ?? new Subject(),
          };
          file.tables.set(opened.names.docs, table);
        }
        const instance = new RxStorageInstanceSQLite<Doc>({
          databaseName: params.databaseName,
          collectionName: params.collectionName,
          schema: params.schema,
          file,
          table,
        });
        if (opened.rebuild) instance.rebuildIndexes();
        return instance;
      } catch (cause) {
        releaseSqliteFile(file);
        throw cause;
      }
    },
  };
}
