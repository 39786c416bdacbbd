/**
 * getActionsByPriority cold exec() (top 20) at 1k, 10k and 100k pending actions. Cold: the
 * store is closed and reopened before every sample (empty RxDB query and document caches)
 * and the LiveQuery is new. Another workspace's query runs first so the figure is the
 * query, not the storage's first open.
 */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info, judged } from '../lib/bench-module.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { seed } from '../lib/seed.ts';
import { median, round, summarize } from '../lib/stats.ts';
import { coldExec } from '../lib/cold-exec.ts';
import { rawCursorMs, storageQueryMs } from './priority-tiers.ts';
import { benchDatabaseName, CLIENT_STORAGES, disposeStore, makeStorage, openStore } from '../lib/storages.ts';

const WORKSPACE = 'w-priority';
const TARGET_MS = 5;
const TARGET_GROWTH = 1.5;

const label = (size: number) => (size >= 1000 ? `${size / 1000}k` : String(size));

export async function benchColdPriority(context: BenchContext): Promise<BenchRow[]> {
  const sizes = [1_000, 10_000, context.scale(100_000, 20_000)];
  const runs = context.scale(15, 3);
  const rows: BenchRow[] = [];
  for (const storageName of CLIENT_STORAGES) {
    const subject = makeStorage(storageName);
    const name = benchDatabaseName('priority');
    const all = pendingActions(sizes[sizes.length - 1]!, { workspace_id: WORKSPACE, newest: Date.now() - 60_000 });
    const medians: number[] = [];
    let seeded = 0;
    for (const size of sizes) {
      const store = await openStore(subject, name);
      const seedStart = performance.now();
      await seed(store.database.brainActions, all.slice(seeded, size));
      context.log(
        `cold priority ${storageName}: seeded ${size} (+${size - seeded} in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)`,
      );
      seeded = size;
      await store.close();
      const storageSamples: number[] = [];
      const { samples, answer } = await coldExec(
        () => openStore(subject, name),
        async (opened) => {
          await opened.brainActions.getActionsByPriority({ workspace_id: 'w-touch' }).exec();
          // A storage-level query of the same top 20 on the same cold store, for attribution.
          storageSamples.push(await storageQueryMs(opened, WORKSPACE));
        },
        (opened) => opened.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).exec(),
        runs,
        2,
      );
      if (answer?.length !== 20) throw new Error(`expected 20 actions, got ${answer?.length}`);
      const value = round(median(samples), 2);
      medians.push(value);
      const raw = subject.indexedDB ? round(await rawCursorMs(subject.indexedDB, name, WORKSPACE, runs), 2) : undefined;
      const storageMs = round(median(storageSamples), 2);
      const note =
        `median of ${runs} (min ${round(Math.min(...samples), 2)}, max ${round(Math.max(...samples), 2)}), store reopened before each; ` +
        (raw === undefined ? '' : `raw fake-indexeddb cursor for the same 20 rows ${raw} ms, `) +
        `RxDB storage-instance query ${storageMs} ms, the rest is RxDB's collection layer + LiveQuery`;
      const row = {
        id: `cold-priority.${storageName}.${label(size)}`,
        name: `getActionsByPriority cold exec, ${label(size)} pending`,
        subject: storageName,
        value,
        unit: 'ms',
        details: {
          size,
          runs,
          ...summarize(samples),
          samplesMs: samples,
          rawCursorMs: raw,
          storageQueryMs: storageMs,
          storageQuerySamplesMs: storageSamples,
        },
      };
      rows.push(storageName === 'dexie' ? judged({ ...row, target: { op: '<=', value: TARGET_MS }, note }) : info({ ...row, note }));
    }
    const growth = round(medians[medians.length - 1]! / medians[0]!, 2);
    const growthRow = {
      id: `cold-priority.${storageName}.growth`,
      name: `getActionsByPriority growth 1k→${label(sizes[sizes.length - 1]!)}`,
      subject: storageName,
      value: growth,
      unit: 'x',
    };
    const growthNote = `ratio of medians; an index range walk that stops after 20 matches is size-independent`;
    rows.push(
      storageName === 'dexie'
        ? judged({ ...growthRow, target: { op: '<=', value: TARGET_GROWTH }, note: growthNote })
        : info({ ...growthRow, note: growthNote }),
    );
    const last = await openStore(subject, name);
    await disposeStore(last);
  }
  return rows;
}
