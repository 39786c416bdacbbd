import type { RxStorage } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { BrainStoreError } from '../errors/brain-store-error.ts';

/** Dexie over the global IndexedDB, or undefined where there is none. */
export function globalIndexedDbStorage(): RxStorage<unknown, unknown> | undefined {
  const indexedDB = (globalThis as { indexedDB?: unknown }).indexedDB;
  const IDBKeyRange = (globalThis as { IDBKeyRange?: unknown }).IDBKeyRange;
  if (!indexedDB || !IDBKeyRange) return undefined;
  return getRxStorageDexie({ indexedDB, IDBKeyRange } as Parameters<typeof getRxStorageDexie>[0]);
}

/**
 * The storage when none is given, everywhere but Node (package.json "imports",
 * `#default-storage`, picks this file without the `node` condition): Dexie over IndexedDB.
 */
export async function defaultStorage(_options: {
  readonly name: string;
  readonly path?: string | undefined;
}): Promise<RxStorage<unknown, unknown>> {
  const storage = globalIndexedDbStorage();
  if (storage) return storage;
  throw new BrainStoreError('CONFIG', {
    parameters: { option: 'storage' },
    message: 'No global indexedDB here and not Node: pass the `storage` option (any RxDB storage).',
  });
}
