import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import type { RxStorage } from 'rxdb';
import { createBrainStore, type BrainStore, type CreateBrainStoreOptions } from '../../src/index.ts';

/** The storages every store test runs on: RxDB memory, and Dexie over a fresh fake IndexedDB. */
export const STORAGES: readonly { name: string; make: () => RxStorage<any, any> }[] = [
  { name: 'memory', make: () => getRxStorageMemory() },
  { name: 'dexie', make: () => getRxStorageDexie({ indexedDB: new IDBFactory(), IDBKeyRange }) },
];

let counter = 0;
/** A store with a unique name on the given storage; close it in afterEach. */
export function openStore(make: () => RxStorage<any, any>, options: Omit<CreateBrainStoreOptions, 'storage'> = {}): Promise<BrainStore> {
  counter += 1;
  return createBrainStore({ name: `test-${process.pid}-${counter}`, storage: make(), ...options });
}
