export { getRxStorageSQLite } from '../storage/sqlite/get-rx-storage-sqlite.ts';
export type { RxStorageSQLite, RxStorageSQLiteOptions } from '../storage/sqlite/get-rx-storage-sqlite.ts';
export type { SynchronousMode } from '../storage/sqlite/open-sqlite-file.ts';
