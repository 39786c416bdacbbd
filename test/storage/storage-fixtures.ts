import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { join } from 'node:path';
import {
  fillWithDefaultSettings,
  normalizeMangoQuery,
  prepareQuery,
  type MangoQuery,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorage,
  type RxStorageInstance,
} from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { getRxStorageSQLite } from '../../src/node/index.ts';
import { scratchDir, uniqueName } from '../helpers/storages.ts';

/** A document with a field of every indexable type, an optional one and a nested one. */
export interface TestDoc {
  id: string;
  name: string;
  age: number;
  score: number;
  active: boolean;
  tag?: string;
  nested?: { city: string };
}

export const TEST_SCHEMA: RxJsonSchema<RxDocumentData<TestDoc>> = fillWithDefaultSettings<TestDoc>({
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 20 },
    name: { type: 'string', maxLength: 12 },
    age: { type: 'integer', minimum: 0, maximum: 150, multipleOf: 1 },
    score: { type: 'number', minimum: -100, maximum: 100, multipleOf: 0.01 },
    active: { type: 'boolean' },
    tag: { type: 'string', maxLength: 10 },
    nested: { type: 'object', properties: { city: { type: 'string', maxLength: 10 } } },
  },
  required: ['id', 'name', 'age', 'score', 'active'],
  indexes: ['name', 'age', 'score', 'active', ['active', 'age'], ['name', 'score'], ['active', 'name', 'age']],
});

/**
 * One storage under test: `fresh` makes a storage for a new data set, `reopen` a storage
 * over the same data (what a restart sees: same IndexedDB factory, same SQLite file).
 */
export interface StorageUnderTest {
  readonly name: 'memory' | 'dexie' | 'sqlite';
  fresh(): { storage: RxStorage<any, any>; reopen: () => RxStorage<any, any> };
}

export const STORAGES_UNDER_TEST: readonly StorageUnderTest[] = [
  {
    name: 'memory',
    fresh: () => {
      const storage = getRxStorageMemory();
      return { storage, reopen: () => getRxStorageMemory() };
    },
  },
  {
    name: 'dexie',
    fresh: () => {
      const indexedDB = new IDBFactory();
      return { storage: getRxStorageDexie({ indexedDB, IDBKeyRange }), reopen: () => getRxStorageDexie({ indexedDB, IDBKeyRange }) };
    },
  },
  {
    name: 'sqlite',
    fresh: () => {
      const path = join(scratchDir(), 'contract.sqlite');
      return { storage: getRxStorageSQLite({ path }), reopen: () => getRxStorageSQLite({ path }) };
    },
  },
];

export type TestInstance = RxStorageInstance<TestDoc, any, any>;

export function openInstance(
  storage: RxStorage<any, any>,
  databaseName: string = uniqueName(),
  collectionName = 'docs',
): Promise<TestInstance> {
  return storage.createStorageInstance<TestDoc>({
    databaseInstanceToken: databaseName,
    databaseName,
    collectionName,
    schema: TEST_SCHEMA,
    options: {},
    multiInstance: false,
    devMode: false,
  });
}

let revision = 0;
/** A stored document state; `lwt` defaults to a strictly increasing value. */
export function stored(doc: TestDoc, meta: { lwt?: number; deleted?: boolean; rev?: string } = {}): RxDocumentData<TestDoc> {
  revision += 1;
  return {
    ...doc,
    _deleted: meta.deleted ?? false,
    _attachments: {},
    _rev: meta.rev ?? `1-r${revision}`,
    _meta: { lwt: meta.lwt ?? 1_700_000_000_000 + revision },
  };
}

export function doc(id: string, fields: Partial<TestDoc> = {}): TestDoc {
  return { id, name: `n-${id}`, age: 30, score: 0, active: true, ...fields };
}

export async function insertAll(instance: TestInstance, docs: readonly RxDocumentData<TestDoc>[]): Promise<void> {
  const result = await instance.bulkWrite(
    docs.map((document) => ({ document })),
    'test-insert',
  );
  if (result.error.length > 0) throw new Error(`insert failed: ${JSON.stringify(result.error.map((e) => e.status))}`);
}

export function prepared(query: MangoQuery<RxDocumentData<TestDoc>>) {
  return prepareQuery<TestDoc>(TEST_SCHEMA, normalizeMangoQuery<TestDoc>(TEST_SCHEMA, query));
}

export async function ids(instance: TestInstance, query: MangoQuery<RxDocumentData<TestDoc>>): Promise<string[]> {
  const { documents } = await instance.query(prepared(query));
  return documents.map((document) => document.id);
}
