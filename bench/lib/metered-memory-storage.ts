import type { RxStorage } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { meterBulkWrite, meterIndexMaintenance, type WriteCost } from './storage-meter.ts';

const REPLICATION_META_PREFIX = 'rx-replication-meta-';

/**
 * RxDB's memory storage (or `base`, e.g. the SQLite storage) with every instance it creates metered — including the ones RxDB's
 * replication creates for itself (its meta instance, which holds an assumed-master copy of
 * every replicated document), so a sync figure can say what those cost.
 */
export function meteredMemoryStorage(base: RxStorage<any, any> = getRxStorageMemory()): {
  storage: RxStorage<any, any>;
  replicationMetaCost(): WriteCost;
} {
  const costs = new Map<string, WriteCost>();
  const storage: RxStorage<any, any> = {
    name: base.name,
    rxdbVersion: base.rxdbVersion,
    async createStorageInstance(params) {
      const instance = await base.createStorageInstance(params);
      const key = params.collectionName;
      const cost = costs.get(key) ?? { writes: 0, docsWritten: 0, writeMs: 0, indexMs: 0 };
      costs.set(key, cost);
      // bulkWrite here is the categorisation; the validation wrapper sits above and is not included.
      meterBulkWrite(instance, cost);
      meterIndexMaintenance(instance as { ensurePersistence?: () => void }, cost);
      return instance;
    },
  };
  return {
    storage,
    /** The summed cost of RxDB replication's meta instances. */
    replicationMetaCost() {
      const total: WriteCost = { writes: 0, docsWritten: 0, writeMs: 0, indexMs: 0 };
      for (const [name, cost] of costs) {
        if (!name.startsWith(REPLICATION_META_PREFIX)) continue;
        total.writes += cost.writes;
        total.docsWritten += cost.docsWritten;
        total.writeMs += cost.writeMs;
        total.indexMs += cost.indexMs;
      }
      return total;
    },
  };
}
