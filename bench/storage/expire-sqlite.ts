/** cleanupExpiredActions expiring 10k of 100k pending actions on SQLite. */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { judged } from '../lib/bench-module.ts';
import { seed } from '../lib/seed.ts';
import { median, quiesce, round } from '../lib/stats.ts';
import { actionsWithDue } from '../expiry/due-actions.ts';
import { openSqliteStore, sqliteFile } from './sqlite-store.ts';

const DUE_EVERY = 10;
const TARGET_MS = 1_000;

export async function benchExpireSqlite(context: BenchContext): Promise<BenchRow[]> {
  const size = context.scale(100_000, 10_000);
  const due = size / DUE_EVERY;
  const runs = context.scale(3, 1);
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const now = Date.now();
    const file = sqliteFile('expire');
    const store = await openSqliteStore(file.path, { now: () => now });
    try {
      await seed(store.database.brainActions, actionsWithDue(size, now, DUE_EVERY, 31 + run));
      await quiesce();
      const start = performance.now();
      const expired = await store.brainActions.cleanupExpiredActions();
      samples.push(performance.now() - start);
      if (expired !== due) throw new Error(`expired ${expired}, expected ${due}`);
      context.log(`expire sqlite run ${run + 1}: ${round(samples.at(-1)!, 0)} ms`);
    } finally {
      await store.close();
      file.dispose();
    }
  }
  const ms = round(median(samples), 1);
  const label = `${due / 1000}k of ${size / 1000}k`;
  return [
    judged({
      id: 'expire.sqlite.ms',
      name: `cleanupExpiredActions, expiring ${label}`,
      subject: 'sqlite',
      value: ms,
      unit: 'ms',
      target: { op: '<=', value: TARGET_MS },
      note:
        `median of ${runs}; ${round(due / (ms / 1000), 0)} actions/s; chunks of 1000 read by index range, each chunk one conditional bulkWrite = one transaction. ` +
        'Per expired action: one UPDATE of the JSON and of the 7 keys that change (status is in 5 of the 6 indexes, _meta.lwt in 2 more), so SQLite rewrites 7 index entries; the keys are built in JS (16 per action, old and new)',
      details: { size, due, samplesMs: samples.map((v) => round(v, 1)) },
    }),
  ];
}
