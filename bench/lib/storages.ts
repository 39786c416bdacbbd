import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import type { RxStorage } from 'rxdb';
import { createBrainStore, type BrainStore, type CreateBrainStoreOptions } from '../../src/index.ts';

/** The client storages the foundation figures are taken on. */
export type ClientStorageName = 'dexie' | 'memory';

/**
 * A storage and the way to reopen a store on the same data. Dexie gets a fresh fake
 * IndexedDB factory per subject (never the global one), so runs do not share state.
 */
export interface BenchStorage {
  readonly name: ClientStorageName;
  readonly storage: RxStorage<any, any>;
  /** The fake IndexedDB factory behind a Dexie storage (raw Dexie baselines open theirs separately). */
  readonly indexedDB?: IDBFactory;
}

export function makeStorage(name: ClientStorageName): BenchStorage {
  if (name === 'memory') return { name, storage: getRxStorageMemory() };
  const indexedDB = new IDBFactory();
  return { name, storage: getRxStorageDexie({ indexedDB, IDBKeyRange }), indexedDB };
}

export const CLIENT_STORAGES: readonly ClientStorageName[] = ['dexie', 'memory'];

let counter = 0;
/** A unique database name for one benchmark. */
export function benchDatabaseName(label: string): string {
  counter += 1;
  return `bench-${label}-${process.pid}-${counter}`;
}

export function openStore(
  subject: BenchStorage,
  name: string,
  options: Omit<CreateBrainStoreOptions, 'storage' | 'name'> = {},
): Promise<BrainStore> {
  return createBrainStore({ name, storage: subject.storage, multiInstance: false, ...options });
}

/**
 * Closes the store and deletes its data (memory storage keeps data in the process
 * until removed; the open-source RxDB allows only 13 open collections per process).
 */
export async function disposeStore(store: BrainStore): Promise<void> {
  await store.database.remove();
  await store.close();
}
