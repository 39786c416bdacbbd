/**
 * cleanupExpiredActions expiring 10k of 100k pending actions: the time, and the documents
 * the storage returned to it (wrapped storage instance), which should be the 10k due ones
 * when the [_deleted, status, expires_at] index serves the query.
 */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info, judged } from '../lib/bench-module.ts';
import { describePlans, recordQueryPlans } from '../lib/query-plans.ts';
import { seed } from '../lib/seed.ts';
import { median, quiesce, round } from '../lib/stats.ts';
import { StorageMeter } from '../lib/storage-meter.ts';
import { benchDatabaseName, disposeStore, makeStorage, openStore, type ClientStorageName } from '../lib/storages.ts';
import { actionsWithDue } from './due-actions.ts';
import { loadNote } from '../lib/load-note.ts';

const DUE_EVERY = 10;
/** Documents read may exceed the number expired by this share before the index is suspect. */
const READ_SLACK = 1.05;

/**
 * fake-indexeddb maintains an index entry in time linear in the index size, so expiring n
 * of N actions there costs O(n·N): a separate run at full size took 48 s to seed 100k and
 * 234 s to expire 10k. Dexie runs the same 1-in-10 shape at 20k.
 */
const sizes: Record<ClientStorageName, (context: BenchContext) => number> = {
  memory: (context) => context.scale(100_000, 10_000),
  dexie: (context) => context.scale(20_000, 5_000),
};
const runsOf: Record<ClientStorageName, (context: BenchContext) => number> = {
  memory: (context) => context.scale(2, 1),
  dexie: () => 1,
};

export async function benchExpireDue(context: BenchContext, storageName: ClientStorageName): Promise<BenchRow[]> {
  const size = sizes[storageName](context);
  const due = Math.ceil(size / DUE_EVERY);
  const runs = runsOf[storageName](context);
  const label = `${due / 1000}k of ${size / 1000}k`;
  const samples: number[] = [];
  const reads: number[] = [];
  let plans = '';
  let meterSnapshot: ReturnType<StorageMeter['snapshot']> | undefined;
  for (let run = 0; run < runs; run++) {
    const now = Date.now();
    const store = await openStore(makeStorage(storageName), benchDatabaseName('expire'), { now: () => now });
    try {
      const seedStart = performance.now();
      await seed(store.database.brainActions, actionsWithDue(size, now, DUE_EVERY, 31 + run));
      context.log(`expire ${storageName}: seeded ${size} in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
      const collection = store.database.brainActions;
      // Memory storage: finish the seed's deferred index maintenance before timing.
      await collection.storageInstance.findDocumentsById([], false);
      const meter = new StorageMeter(collection);
      const recorder = recordQueryPlans(collection);
      await quiesce();
      const start = performance.now();
      const expired = await store.brainActions.cleanupExpiredActions();
      // …and include the expiry's own deferred index maintenance (an empty read triggers it).
      await collection.storageInstance.findDocumentsById([], false);
      samples.push(performance.now() - start);
      recorder.stop();
      meter.stop();
      if (expired !== due) throw new Error(`cleanupExpiredActions expired ${expired}, expected ${due}`);
      reads.push(meter.docsRead);
      plans = describePlans(recorder.plans);
      meterSnapshot = meter.snapshot();
      context.log(`expire ${storageName} run ${run + 1}: ${round(samples.at(-1)!, 0)} ms, ${meter.docsRead} docs read`);
    } finally {
      await disposeStore(store);
    }
  }
  const ms = round(median(samples), 1);
  const docsRead = Math.max(...reads);
  const dexieNote =
    storageName === 'dexie'
      ? `; Dexie runs at ${label} (not 10k of 100k): fake-indexeddb maintains index entries in time linear in the index size, so expiring n of N costs O(n·N) — a separate full-size run took 48 s to seed 100k and 234 s to expire 10k; real IndexedDB figures come from Chromium`
      : '';
  const details = { size, due, runs, samplesMs: samples.map((v) => round(v, 1)), docsRead: reads, storage: meterSnapshot };
  return [
    info({
      id: `expire.${storageName}.ms`,
      name: `cleanupExpiredActions, expiring ${label}`,
      subject: storageName,
      value: ms,
      unit: 'ms',
      note: `median of ${runs}; ${round(due / (ms / 1000), 0)} actions/s; reads in chunks of 1000, each chunk one conditional bulkWrite (memory: includes its deferred index maintenance)${dexieNote}${loadNote()}`,
      details,
    }),
    judged({
      id: `expire.${storageName}.docs-read`,
      name: `documents read expiring ${label}`,
      subject: storageName,
      value: docsRead,
      unit: 'docs',
      target: { op: '<=', value: Math.round(due * READ_SLACK) },
      note: `documents returned by the storage instance (query + findDocumentsById, wrapped) during the call, ≈ the ${due} expired; query plans: ${plans}${docsRead > due * READ_SLACK ? ' — more than expired: the query is not served by an exact index range' : ''}`,
    }),
  ];
}
