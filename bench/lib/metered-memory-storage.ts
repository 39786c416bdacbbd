import type { RxStorage, RxStorageInstance } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';

/** Write cost of one storage instance (a collection, or RxDB's replication meta instance). */
export interface InstanceCost {
  writes: number;
  docsWritten: number;
  /** Inside bulkWrite (categorisation; the validation wrapper sits above and is not included). */
  writeMs: number;
  /** The memory storage's deferred index maintenance (ensurePersistence). */
  indexMs: number;
}

/**
 * RxDB's memory storage with every instance it creates metered — including the ones RxDB's
 * replication creates for itself (its meta instance, which holds an assumed-master copy of
 * every replicated document), so a sync figure can say what those cost.
 */
export function meteredMemoryStorage(): { storage: RxStorage<any, any>; costs: Map<string, InstanceCost>; reset(): void } {
  const base = getRxStorageMemory();
  const costs = new Map<string, InstanceCost>();
  const storage: RxStorage<any, any> = {
    name: base.name,
    rxdbVersion: base.rxdbVersion,
    async createStorageInstance(params) {
      const instance = (await base.createStorageInstance(params)) as RxStorageInstance<any, any, any> & { ensurePersistence?: () => void };
      const key = params.collectionName;
      const cost = costs.get(key) ?? { writes: 0, docsWritten: 0, writeMs: 0, indexMs: 0 };
      costs.set(key, cost);
      const bulkWrite = instance.bulkWrite.bind(instance);
      instance.bulkWrite = async (rows, context) => {
        const start = performance.now();
        try {
          return await bulkWrite(rows, context);
        } finally {
          cost.writes += 1;
          cost.docsWritten += rows.length;
          cost.writeMs += performance.now() - start;
        }
      };
      if (typeof instance.ensurePersistence === 'function') {
        const ensure = instance.ensurePersistence.bind(instance);
        instance.ensurePersistence = () => {
          const start = performance.now();
          try {
            ensure();
          } finally {
            cost.indexMs += performance.now() - start;
          }
        };
      }
      return instance;
    },
  };
  return {
    storage,
    costs,
    reset() {
      for (const cost of costs.values()) Object.assign(cost, { writes: 0, docsWritten: 0, writeMs: 0, indexMs: 0 });
    },
  };
}

/** Sums the costs of the instances whose collection name passes `test`. */
export function sumCosts(costs: ReadonlyMap<string, InstanceCost>, test: (collectionName: string) => boolean): InstanceCost {
  const total: InstanceCost = { writes: 0, docsWritten: 0, writeMs: 0, indexMs: 0 };
  for (const [name, cost] of costs) {
    if (!test(name)) continue;
    total.writes += cost.writes;
    total.docsWritten += cost.docsWritten;
    total.writeMs += cost.writeMs;
    total.indexMs += cost.indexMs;
  }
  return total;
}
