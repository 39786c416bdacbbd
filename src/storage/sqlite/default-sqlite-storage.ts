import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getRxStorageSQLite, type RxStorageSQLite } from './get-rx-storage-sqlite.ts';

/** Where a Node store keeps its data when neither `storage` nor `path` is given. */
export const DEFAULT_DATA_DIR = '.data';

/**
 * The Node default of createBrainStore: SQLite at `path`, or `.data/<name>.sqlite` under the
 * working directory (the folder is created for the default only; a given path's folder
 * must exist, so a typo is an error rather than a new empty store somewhere else).
 */
export function defaultSqliteStorage(options: { readonly name: string; readonly path?: string | undefined }): RxStorageSQLite {
  if (options.path !== undefined) return getRxStorageSQLite({ path: options.path });
  mkdirSync(DEFAULT_DATA_DIR, { recursive: true });
  return getRxStorageSQLite({ path: join(DEFAULT_DATA_DIR, `${options.name}.sqlite`) });
}
