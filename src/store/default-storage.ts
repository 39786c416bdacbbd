import type { RxStorage } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { BrainStoreError } from '../errors/brain-store-error.ts';
import type { defaultSqliteStorage } from '../storage/sqlite/default-sqlite-storage.ts';

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
}

/**
 * The Node storage module, loaded only in Node: the specifier is computed (and marked for
 * Vite), so no bundler pulls better-sqlite3 into a browser build. `.ts` when running from
 * source (tsx, vitest), `.js` from dist.
 */
async function loadNodeDefault(): Promise<typeof defaultSqliteStorage> {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  // Not a literal inside `new URL(…)`: Vite would turn that into an asset reference.
  const file = `../storage/sqlite/default-sqlite-storage${extension}`;
  const specifier = new URL(file, import.meta.url).href;
  const module = (await import(/* @vite-ignore */ specifier)) as { defaultSqliteStorage: typeof defaultSqliteStorage };
  return module.defaultSqliteStorage;
}

/**
 * The storage when none is given: Dexie over the global IndexedDB where there is one (a
 * browser); in Node, durable SQLite at `path` (default `.data/<name>.sqlite`).
 */
export async function defaultStorage(options: {
  readonly name: string;
  readonly path?: string | undefined;
}): Promise<RxStorage<unknown, unknown>> {
  const indexedDB = (globalThis as { indexedDB?: unknown }).indexedDB;
  const IDBKeyRange = (globalThis as { IDBKeyRange?: unknown }).IDBKeyRange;
  if (indexedDB && IDBKeyRange) {
    return getRxStorageDexie({ indexedDB, IDBKeyRange } as Parameters<typeof getRxStorageDexie>[0]);
  }
  if (isNode()) return (await loadNodeDefault())(options);
  throw new BrainStoreError('CONFIG', {
    parameters: { option: 'storage' },
    message: 'No global indexedDB here and not Node: pass the `storage` option (any RxDB storage).',
  });
}
