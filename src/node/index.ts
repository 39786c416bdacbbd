export { getRxStorageSQLite } from '../storage/sqlite/get-rx-storage-sqlite.ts';
export type { RxStorageSQLite, RxStorageSQLiteOptions } from '../storage/sqlite/get-rx-storage-sqlite.ts';
export type { SynchronousMode } from '../storage/sqlite/open-sqlite-file.ts';
export { defaultSqliteStorage, DEFAULT_DATA_DIR } from '../storage/sqlite/default-sqlite-storage.ts';
