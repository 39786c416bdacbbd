/**
 * RxDB's own storage benchmark (`runPerformanceTests` from rxdb/plugins/test-utils) over
 * memory, Dexie on fake-indexeddb and brain-store's SQLite storage, in the same run, so the
 * three read side by side: each operation's time on Dexie and SQLite is also given as a
 * ratio to memory storage (the in-process floor).
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { RxStorage } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { runPerformanceTests, type PerformanceTestResult } from 'rxdb/plugins/test-utils';
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info } from '../lib/bench-module.ts';
import { round } from '../lib/stats.ts';
import { getRxStorageSQLite } from '../../src/node/index.ts';
import { sqliteFile } from './sqlite-store.ts';

interface Subject {
  readonly name: 'memory' | 'dexie' | 'sqlite';
  readonly label: string;
  open(): { storage: RxStorage<any, any>; dispose(): void };
}

const SUBJECTS: readonly Subject[] = [
  { name: 'memory', label: 'RxDB memory storage', open: () => ({ storage: getRxStorageMemory(), dispose: () => undefined }) },
  {
    name: 'dexie',
    label: 'RxDB Dexie storage on fake-indexeddb',
    // A fresh factory: nothing left from other figures in this process.
    open: () => ({ storage: getRxStorageDexie({ indexedDB: new IDBFactory(), IDBKeyRange }), dispose: () => undefined }),
  },
  {
    name: 'sqlite',
    label: "brain-store's SQLite storage (better-sqlite3, WAL, synchronous FULL)",
    open: () => {
      const file = sqliteFile('perf');
      return { storage: getRxStorageSQLite({ path: file.path }), dispose: file.dispose };
    },
  },
];

/** runPerformanceTests' result keys that are not timings. */
const NOT_TIMINGS = new Set(['description', 'collectionsAmount', 'docsAmount']);

export async function benchPerformanceTests(context: BenchContext): Promise<BenchRow[]> {
  // RxDB's defaults are 40 runs of 3000 docs with 100 ms pauses. Dexie on fake-indexeddb
  // needs about 90 s per such run here (its find-by-query alone 20 s: fake-indexeddb walks
  // every record in JS), so the group runs 3 runs of 1200 docs (a multiple of its 6 insert batches, or it
  // throws RangeError: Invalid array length), identical for all three.
  const runs = context.scale(Number(process.env['BENCH_STORAGE_PERF_RUNS'] ?? 3), 1);
  const docsAmount = context.scale(Number(process.env['BENCH_STORAGE_PERF_DOCS'] ?? 1200), 300);
  const config = { runs, docsAmount, waitBetweenTests: context.scale(50, 0), log: false };
  const results = new Map<Subject['name'], PerformanceTestResult>();
  for (const subject of SUBJECTS) {
    const opened = subject.open();
    try {
      const start = performance.now();
      results.set(subject.name, await runPerformanceTests(opened.storage, subject.label, config));
      context.log(`runPerformanceTests ${subject.name}: ${round((performance.now() - start) / 1000, 1)} s`);
    } finally {
      opened.dispose();
    }
  }
  const memory = results.get('memory');
  const rows: BenchRow[] = [];
  const keys = Object.keys(memory ?? {}).filter((key) => !NOT_TIMINGS.has(key));
  for (const key of keys) {
    for (const subject of SUBJECTS) {
      const value = results.get(subject.name)?.[key];
      if (typeof value !== 'number') continue;
      const floor = memory?.[key];
      const versus =
        subject.name !== 'memory' && typeof floor === 'number' && floor > 0 ? `; ${round(value / floor, 1)}× memory (${floor} ms)` : '';
      rows.push(
        info({
          id: `rxdb-perf.${key}.${subject.name}`,
          name: `runPerformanceTests ${key}`,
          subject: subject.name,
          value,
          unit: 'ms',
          note: `RxDB's trimmed mean of ${runs} runs, ${config.docsAmount} docs × 4 collections${versus}`,
          ...(subject.name === 'memory' ? { details: { config } } : {}),
        }),
      );
    }
  }
  return rows;
}
