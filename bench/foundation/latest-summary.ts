/** getLatestSummary exec at 100k summaries of one workspace: cold (reopened store) and warm. */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info } from '../lib/bench-module.ts';
import { coldExec } from '../lib/cold-exec.ts';
import { summaryDocuments } from '../lib/fixtures.ts';
import { seed } from '../lib/seed.ts';
import { median, round, sample, summarize } from '../lib/stats.ts';
import { benchDatabaseName, CLIENT_STORAGES, disposeStore, makeStorage, openStore } from '../lib/storages.ts';

const WORKSPACE = 'w-summaries';

export async function benchLatestSummary(context: BenchContext): Promise<BenchRow[]> {
  const size = context.scale(100_000, 10_000);
  const runs = context.scale(11, 3);
  const rows: BenchRow[] = [];
  const label = `${size / 1000}k`;
  for (const storageName of CLIENT_STORAGES) {
    const subject = makeStorage(storageName);
    const name = benchDatabaseName('summaries');
    const newest = Date.now() - 60_000;
    const store = await openStore(subject, name);
    const seedStart = performance.now();
    await seed(store.database.brainSummaries, summaryDocuments(size, WORKSPACE, newest));
    const seedSeconds = round((performance.now() - seedStart) / 1000, 1);
    context.log(`latest summary ${storageName}: seeded ${size} in ${seedSeconds} s`);
    await store.close();

    const { samples, answer } = await coldExec(
      () => openStore(subject, name),
      (opened) => opened.brainSummaries.getLatestSummary({ workspace_id: 'w-touch' }).exec(),
      (opened) => opened.brainSummaries.getLatestSummary({ workspace_id: WORKSPACE }).exec(),
      runs,
      2,
    );
    if (answer?.created_at !== newest) throw new Error('getLatestSummary did not return the newest summary');
    rows.push(
      info({
        id: `latest-summary.${storageName}.cold`,
        name: `getLatestSummary cold exec, ${label} summaries`,
        subject: storageName,
        value: round(median(samples), 2),
        unit: 'ms',
        note: `median of ${runs}, store reopened before each (seeding took ${seedSeconds} s)`,
        details: { size, ...summarize(samples), samplesMs: samples },
      }),
    );

    // Warm: the same LiveQuery again on an open store (RxDB's query cache answers).
    const opened = await openStore(subject, name);
    const live = opened.brainSummaries.getLatestSummary({ workspace_id: WORKSPACE });
    const warm = await sample(runs, 2, () => live.exec());
    rows.push(
      info({
        id: `latest-summary.${storageName}.warm`,
        name: `getLatestSummary warm exec, ${label} summaries`,
        subject: storageName,
        value: round(median(warm), 2),
        unit: 'ms',
        note: `median of ${runs}, same LiveQuery on an open store`,
        details: { ...summarize(warm) },
      }),
    );
    await disposeStore(opened);
  }
  return rows;
}
