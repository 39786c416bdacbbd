import type { RxCollection, RxStorageInstance } from 'rxdb';

/**
 * Counts what a collection's storage instance does: documents returned by reads (query,
 * findDocumentsById; count() results separately, since a count returns no document), and
 * time spent in bulkWrite. Installed as own properties on the instance, so every caller that
 * looks the method up at call time (RxDB's query layer, replication, the store's own
 * functions) goes through it. `stop()` removes them.
 */
export class StorageMeter {
  queries = 0;
  /** Documents returned by query() and findDocumentsById(). */
  docsRead = 0;
  counts = 0;
  /** Sum of count() results (documents counted, not returned). */
  docsCounted = 0;
  writes = 0;
  docsWritten = 0;
  writeMs = 0;
  /**
   * Memory storage only: time in its deferred index maintenance (ensurePersistence), which
   * runs after bulkWrite has returned — on the next read or write, or when the thread idles.
   */
  indexMs = 0;
  readonly #restore: (() => void)[] = [];

  constructor(collection: RxCollection<any>) {
    const instance = collection.storageInstance as unknown as RxStorageInstance<any, any, any>;
    const patch = <K extends 'query' | 'findDocumentsById' | 'count' | 'bulkWrite'>(
      key: K,
      replacement: RxStorageInstance<any, any, any>[K],
    ) => {
      const hadOwn = Object.hasOwn(instance, key);
      const previous = instance[key];
      instance[key] = replacement as never;
      this.#restore.push(() => {
        if (hadOwn) instance[key] = previous as never;
        else delete instance[key];
      });
    };
    const query = instance.query.bind(instance);
    const findDocumentsById = instance.findDocumentsById.bind(instance);
    const count = instance.count.bind(instance);
    const bulkWrite = instance.bulkWrite.bind(instance);
    patch('query', async (prepared) => {
      const result = await query(prepared);
      this.queries += 1;
      this.docsRead += result.documents.length;
      return result;
    });
    patch('findDocumentsById', async (ids, withDeleted) => {
      const result = await findDocumentsById(ids, withDeleted);
      this.queries += 1;
      this.docsRead += result.length;
      return result;
    });
    patch('count', async (prepared) => {
      const result = await count(prepared);
      this.counts += 1;
      this.docsCounted += result.count;
      return result;
    });
    patch('bulkWrite', async (rows, context) => {
      const start = performance.now();
      try {
        return await bulkWrite(rows, context);
      } finally {
        this.writes += 1;
        this.docsWritten += rows.length;
        this.writeMs += performance.now() - start;
      }
    });
    // The memory storage below the validation wrapper defers index maintenance; time it too.
    const inner = (instance as unknown as { originalStorageInstance?: { ensurePersistence?: () => void } }).originalStorageInstance;
    if (inner && typeof inner.ensurePersistence === 'function') {
      const ensure = inner.ensurePersistence.bind(inner);
      const hadOwn = Object.hasOwn(inner, 'ensurePersistence');
      const previous = inner.ensurePersistence;
      inner.ensurePersistence = () => {
        const start = performance.now();
        try {
          ensure();
        } finally {
          this.indexMs += performance.now() - start;
        }
      };
      this.#restore.push(() => {
        if (hadOwn) inner.ensurePersistence = previous;
        else delete inner.ensurePersistence;
      });
    }
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
      writeMs: Math.round(this.writeMs * 10) / 10,
      indexMs: Math.round(this.indexMs * 10) / 10,
    };
  }

  stop(): void {
    for (const restore of this.#restore.splice(0).reverse()) restore();
  }
}
