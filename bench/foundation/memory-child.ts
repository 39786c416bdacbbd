/**
 * Child process of the memory benchmark (a fresh process, so earlier benchmarks do not
 * pollute RSS): opens a store, loads `size` pending actions, runs a read, and prints one
 * JSON line with the RSS before, after and at peak.
 *   node --import tsx bench/foundation/memory-child.ts <dexie|memory> <size>
 */
import { pendingActions } from '../lib/fixtures.ts';
import { seed } from '../lib/seed.ts';
import { collectGarbage, settle } from '../lib/stats.ts';
import { benchDatabaseName, makeStorage, openStore, type ClientStorageName } from '../lib/storages.ts';
import { RESULT_MARKER, type MemoryResult } from './memory-rss.ts';

const MB = 2 ** 20;

async function main(): Promise<void> {
  const storageName = process.argv[2] as ClientStorageName;
  const size = Number(process.argv[3]);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const store = await openStore(makeStorage(storageName), benchDatabaseName('memory'));
  await store.brainActions.getActionsByPriority({ workspace_id: 'w-memory' }).exec();
  collectGarbage();
  await settle(50);
  const before = process.memoryUsage();
  // Generated in chunks so the fixture array itself is not part of "loaded".
  for (let start = 0; start < size; start += 10_000) {
    const docs = pendingActions(Math.min(10_000, size - start), {
      workspace_id: 'w-memory',
      newest: Date.now() - 60_000 - start,
      seed: start + 1,
    });
    await seed(store.database.brainActions, docs);
  }
  const top = await store.brainActions.getActionsByPriority({ workspace_id: 'w-memory' }).exec();
  if (top.length !== 20) throw new Error('expected 20 actions');
  collectGarbage();
  await settle(50);
  const after = process.memoryUsage();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, after.rss);
  const result: MemoryResult = {
    rssBeforeMB: before.rss / MB,
    rssAfterMB: after.rss / MB,
    rssDeltaMB: (after.rss - before.rss) / MB,
    heapUsedDeltaMB: (after.heapUsed - before.heapUsed) / MB,
    peakRssMB: peakRss / MB,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
  await store.database.remove();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
