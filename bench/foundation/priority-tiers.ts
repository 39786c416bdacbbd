/**
 * Where a cold getActionsByPriority goes on Dexie: the same top-20 read as a raw
 * fake-indexeddb cursor over the same index, and as an RxDB storage-instance query (query
 * planner + Dexie storage, no RxQuery/document cache/LiveQuery). The difference to the
 * store's cold exec is RxDB's collection layer plus the store's LiveQuery.
 */
import { IDBKeyRange } from 'fake-indexeddb';
import type { IDBFactory } from 'fake-indexeddb';
import { normalizeMangoQuery, prepareQuery } from 'rxdb';
import type { BrainStore } from '../../src/index.ts';
import { median, quiesce, sample, timed } from '../lib/stats.ts';

const INDEX = ['_deleted', 'workspace_id', 'status', 'priority_rank', 'created_desc'];

/** Median ms of a raw cursor reading the first 20 pending actions of `workspace` (fresh transaction each). */
export async function rawCursorMs(indexedDB: IDBFactory, databaseName: string, workspace: string, runs: number): Promise<number> {
  const request = indexedDB.open(`rxdb-dexie-${databaseName}--0--brainActions`);
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('indexedDB.open failed'));
  });
  const read = () =>
    new Promise<void>((resolve, reject) => {
      const index = db
        .transaction('docs', 'readonly')
        .objectStore('docs')
        .index(`[${[...INDEX, 'id'].join('+')}]`);
      const cursor = index.openCursor(IDBKeyRange.bound(['0', workspace, 'pending', -Infinity], ['0', workspace, 'pending', []]));
      let rows = 0;
      cursor.onerror = () => reject(cursor.error ?? new Error('index cursor failed'));
      cursor.onsuccess = () => {
        if (cursor.result && ++rows < 20) cursor.result.continue();
        else resolve();
      };
    });
  const samples = await sample(runs, 2, read);
  db.close();
  return median(samples);
}

/** One RxDB storage-instance query for the top 20 (what the collection sends to the storage). */
export async function storageQueryMs(store: BrainStore, workspace: string): Promise<number> {
  const collection = store.database.brainActions;
  const schema = collection.schema.jsonSchema;
  const query = prepareQuery(
    schema,
    normalizeMangoQuery<any>(schema, {
      selector: { _deleted: { $eq: false }, workspace_id: workspace, status: 'pending', expires_at: { $gt: Date.now() } },
      sort: [{ priority_rank: 'asc' }, { created_desc: 'asc' }, { id: 'asc' }],
      index: INDEX,
      limit: 20,
    }),
  );
  await quiesce();
  const { ms, result } = await timed(() => collection.storageInstance.query(query));
  if (result.documents.length !== 20) throw new Error(`storage query returned ${result.documents.length}`);
  return ms;
}
