import type { RxCollection, RxStorageInstance } from 'rxdb';
import { patchMethod } from './patch-method.ts';
import { round } from './stats.ts';

/** Write cost of one storage instance (a collection, or RxDB's replication meta instance). */
export interface WriteCost {
  writes: number;
  docsWritten: number;
  /** Inside bulkWrite. */
  writeMs: number;
  /**
   * Memory storage only: time in its deferred index maintenance (ensurePersistence), which
   * runs after bulkWrite has returned — on the next read or write, or when the thread idles.
   */
  indexMs: number;
}

/** Counts bulkWrite calls, documents and time into `cost`; returns the restore function. */
export function meterBulkWrite(instance: RxStorageInstance<any, any, any>, cost: WriteCost): () => void {
  const bulkWrite = instance.bulkWrite.bind(instance);
  return patchMethod(instance, 'bulkWrite', async (rows, context) => {
    const start = performance.now();
    try {
      return await bulkWrite(rows, context);
    } finally {
      cost.writes += 1;
      cost.docsWritten += rows.length;
      cost.writeMs += performance.now() - start;
    }
  });
}

/** Times the memory storage's ensurePersistence into `cost.indexMs` (nothing on other storages); returns the restore function. */
export function meterIndexMaintenance(instance: { ensurePersistence?: () => void } | undefined, cost: WriteCost): () => void {
  if (!instance || typeof instance.ensurePersistence !== 'function') return () => undefined;
  const ensure = instance.ensurePersistence.bind(instance);
  return patchMethod(instance, 'ensurePersistence', () => {
    const start = performance.now();
    try {
      ensure();
    } finally {
      cost.indexMs += performance.now() - start;
    }
  });
}

/**
 * Counts what a collection's storage instance does: documents returned by reads (query,
 * findDocumentsById; count() results separately, since a count returns no document), and
 * time spent in bulkWrite. Installed as own properties on the instance, so every caller that
 * looks the method up at call time (RxDB's query layer, replication, the store's own
 * functions) goes through it. `stop()` removes them.
 */
export class StorageMeter implements WriteCost {
  queries = 0;
  /** Documents returned by query() and findDocumentsById(). */
  docsRead = 0;
  counts = 0;
  /** Sum of count() results (documents counted, not returned). */
  docsCounted = 0;
  writes = 0;
  docsWritten = 0;
  writeMs = 0;
  indexMs = 0;
  readonly #restore: (() => void)[] = [];

  constructor(collection: RxCollection<any>) {
    const instance = collection.storageInstance as unknown as RxStorageInstance<any, any, any>;
    const query = instance.query.bind(instance);
    const findDocumentsById = instance.findDocumentsById.bind(instance);
    const count = instance.count.bind(instance);
    this.#restore.push(
      patchMethod(instance, 'query', async (prepared) => {
        const result = await query(prepared);
        this.queries += 1;
        this.docsRead += result.documents.length;
        return result;
      }),
      patchMethod(instance, 'findDocumentsById', async (ids, withDeleted) => {
        const result = await findDocumentsById(ids, withDeleted);
        this.queries += 1;
        this.docsRead += result.length;
        return result;
      }),
      patchMethod(instance, 'count', async (prepared) => {
        const result = await count(prepared);
        this.counts += 1;
        this.docsCounted += result.count;
        return result;
      }),
      meterBulkWrite(instance, this),
      // The memory storage below the validation wrapper defers index maintenance; time it too.
      meterIndexMaintenance((instance as { originalStorageInstance?: { ensurePersistence?: () => void } }).originalStorageInstance, this),
    );
  }

  reset(): void {
    this.queries = 0;
    this.docsRead = 0;
    this.counts = 0;
    this.docsCounted = 0;
    this.writes = 0;
    this.docsWritten = 0;
    this.writeMs = 0;
    this.indexMs = 0;
  }

  snapshot() {
    return {
      queries: this.queries,
      docsRead: this.docsRead,
      counts: this.counts,
      docsCounted: this.docsCounted,
      writes: this.writes,
      docsWritten: this.docsWritten,
      writeMs: round(this.writeMs, 1),
      indexMs: round(this.indexMs, 1),
    };
  }

  stop(): void {
    for (const restore of this.#restore.splice(0).reverse()) restore();
  }
}
