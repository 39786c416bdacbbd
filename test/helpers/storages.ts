import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import type { RxStorage } from 'rxdb';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRxStorageSQLite } from '../../src/node/index.ts';
import { createBrainStore, type BrainStore, type CreateBrainStoreOptions } from '../../src/index.ts';

/** A fresh, empty folder for SQLite files (the OS cleans the temp dir). */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'brain-store-sqlite-'));
}

/**
 * The storages every store test runs on: RxDB memory, Dexie over a fresh fake IndexedDB,
 * and brain-store's SQLite on a fresh file.
 */
export const STORAGES: readonly { name: string; make: () => RxStorage<any, any> }[] = [
  { name: 'memory', make: () => getRxStorageMemory() },
  { name: 'dexie', make: () => getRxStorageDexie({ indexedDB: new IDBFactory(), IDBKeyRange }) },
  { name: 'sqlite', make: () => getRxStorageSQLite({ path: join(scratchDir(), 'store.sqlite') }) },
];

let counter = 0;
/** A database name no other test uses (the memory storage shares state by name per process). */
export function uniqueName(): string {
  counter += 1;
  return `test-${process.pid}-${counter}`;
}

/** A store with a unique name on the given storage; close it in afterEach. */
export function openStore(make: () => RxStorage<any, any>, options: Omit<CreateBrainStoreOptions, 'storage'> = {}): Promise<BrainStore> {
  return createBrainStore({ name: uniqueName(), storage: make(), ...options });
}

/**
 * Registers an afterEach that closes every store opened through the returned `open`, so a
 * failing test cannot leak collections (the open-source RxDB allows 13 per process).
 */
export function closingStores() {
  const open = new Set<BrainStore>();
  afterEach(async () => {
    const stores = [...open];
    open.clear();
    await Promise.all(stores.map((store) => store.close()));
  });
  const track = async (pending: Promise<BrainStore>) => {
    const store = await pending;
    open.add(store);
    return store;
  };
  return {
    /** A fresh store on a fresh storage instance. */
    open: (make: () => RxStorage<any, any>, options: Omit<CreateBrainStoreOptions, 'storage'> = {}) => track(openStore(make, options)),
    /** A store on a given storage and name: reopening the same data (e.g. after a schema change). */
    reopen: (storage: RxStorage<any, any>, name: string, options: Omit<CreateBrainStoreOptions, 'storage' | 'name'> = {}) =>
      track(createBrainStore({ name, storage, ...options })),
  };
}
