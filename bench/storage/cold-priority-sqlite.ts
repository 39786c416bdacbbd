/**
 * getActionsByPriority cold exec() (top 20) on SQLite at 1k, 10k and 100k pending actions,
 * the store closed and reopened before every sample (empty caches, a new connection), as the
 * foundation figure does for Dexie and memory.
 */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { judged } from '../lib/bench-module.ts';
import { coldExec } from '../lib/cold-exec.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { seed } from '../lib/seed.ts';
import { median, round, summarize } from '../lib/stats.ts';
import { storageQueryMs } from '../foundation/priority-tiers.ts';
import { openSqliteStore, sqliteFile } from './sqlite-store.ts';

const WORKSPACE = 'w-priority';
const TARGET_MS = 5;
const TARGET_GROWTH = 1.5;
const label = (size: number) => `${size / 1000}k`;

export async function benchColdPrioritySqlite(context: BenchContext): Promise<BenchRow[]> {
  const sizes = [1_000, 10_000, context.scale(100_000, 20_000)];
  const runs = context.scale(15, 3);
  const file = sqliteFile('priority');
  const all = pendingActions(sizes.at(-1)!, { workspace_id: WORKSPACE, newest: Date.now() - 60_000 });
  const rows: BenchRow[] = [];
  const medians: number[] = [];
  let seeded = 0;
  try {
    for (const size of sizes) {
      const store = await openSqliteStore(file.path);
      await seed(store.database.brainActions, all.slice(seeded, size));
      seeded = size;
      await store.close();
      const storageSamples: number[] = [];
      const { samples, answer } = await coldExec(
        () => openSqliteStore(file.path),
        async (opened) => {
          await opened.brainActions.getActionsByPriority({ workspace_id: 'w-touch' }).exec();
          storageSamples.push(await storageQueryMs(opened, WORKSPACE));
        },
        (opened) => opened.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).exec(),
        runs,
        2,
      );
      if (answer?.length !== 20) throw new Error(`expected 20 actions, got ${answer?.length}`);
      const value = round(median(samples), 2);
      medians.push(value);
      const storageMs = round(median(storageSamples), 2);
      context.log(`cold priority sqlite ${label(size)}: ${value} ms (storage query ${storageMs} ms)`);
      rows.push(
        judged({
          id: `cold-priority.sqlite.${label(size)}`,
          name: `getActionsByPriority cold exec, ${label(size)} pending`,
          subject: 'sqlite',
          value,
          unit: 'ms',
          target: { op: '<=', value: TARGET_MS },
          note: `median of ${runs} (min ${round(Math.min(...samples), 2)}, max ${round(Math.max(...samples), 2)}), store reopened before each; SQLite storage-instance query of the same 20 ${storageMs} ms, the rest is RxDB's collection layer + LiveQuery`,
          details: { size, runs, ...summarize(samples), samplesMs: samples, storageQueryMs: storageMs },
        }),
      );
    }
  } finally {
    file.dispose();
  }
  const growth = round(medians.at(-1)! / medians[0]!, 2);
  rows.push(
    judged({
      id: 'cold-priority.sqlite.growth',
      name: `getActionsByPriority cold, ${label(sizes.at(-1)!)} / 1k`,
      subject: 'sqlite',
      value: growth,
      unit: 'x',
      target: { op: '<=', value: TARGET_GROWTH },
      note: `flat means the index range scan reads 20 rows whatever the size: ${medians.join(' / ')} ms`,
    }),
  );
  return rows;
}
