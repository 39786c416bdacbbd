/**
 * Child of the million-action first sync (a fresh process, so its peak RSS is its own): opens
 * an empty SQLite store at <path>, runs replicateBrainStore (live: false) against the server
 * at <url> until in sync, sampling memory every 20 ms; prints the duration, the process's peak
 * RSS (VmHWM, which no sample can miss) and the samples' peaks.
 *   node --import tsx bench/first-visit/pull-rss-child.ts <url> <token> <path> <pageSize>
 */
import { readFileSync } from 'node:fs';
import { collectGarbage, settle } from '../lib/stats.ts';
import { openSqliteStore } from '../storage/sqlite-store.ts';
import { replicateBrainStore } from '../../src/index.ts';

const PULL_RSS_MARKER = 'PULL_RSS_RESULT ';
const MB = 2 ** 20;

/**
 * This process's peak RSS: /proc/self/status VmHWM (Linux), the high-water mark of its own
 * memory image. Not getrusage's maxrss: that keeps the hiwater of the image exec replaced —
 * the fork of the parent, whose RSS (the bench runner's, 400 MB with a million seeded) it
 * reported as this process's peak.
 */
function peakRssMB(): number {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('VmHWM:'));
    if (line) return Number(line.replace(/\D+/g, '')) / 1024;
  } catch {
    // Not Linux: getrusage below.
  }
  return process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
  const [url, token, path, pageSize] = process.argv.slice(2) as [string, string, string, string];
  const store = await openSqliteStore(path);
  collectGarbage();
  await settle(50);
  const before = process.memoryUsage();
  const samples: { t: number; rss: number; heap: number; external: number }[] = [];
  const start = performance.now();
  const sample = () => {
    const memory = process.memoryUsage();
    samples.push({ t: performance.now() - start, rss: memory.rss / MB, heap: memory.heapUsed / MB, external: memory.external / MB });
  };
  const timer = setInterval(sample, 20);
  const sync = replicateBrainStore(store, { url, token, live: false, pullBatchSize: Number(pageSize), collections: ['brainActions'] });
  await sync.awaitInSync();
  const ms = performance.now() - start;
  // The peak of the first sync itself, before the checks below (a count, closing the store).
  const maxRssAtSyncMB = peakRssMB();
  clearInterval(timer);
  if (process.env['PULL_RSS_SNAPSHOT']) (await import('node:v8')).writeHeapSnapshot(process.env['PULL_RSS_SNAPSHOT']);
  sample();
  const count = await store.database.brainActions.count().exec();
  await sync.cancel();
  await store.close();
  const peak = samples.reduce((top, entry) => (entry.rss > top.rss ? entry : top), samples[0]!);
  process.stdout.write(
    `${PULL_RSS_MARKER}${JSON.stringify({
      ms,
      count,
      maxRssMB: maxRssAtSyncMB,
      maxRssAfterChecksMB: peakRssMB(),
      getrusageMaxRssMB: process.resourceUsage().maxRSS / 1024,
      rssBeforeMB: before.rss / MB,
      heapBeforeMB: before.heapUsed / MB,
      sampledPeak: peak,
      heapPeakMB: Math.max(...samples.map((entry) => entry.heap)),
      externalPeakMB: Math.max(...samples.map((entry) => entry.external)),
      samples: samples.filter((_, index) => index % 50 === 0),
    })}\n`,
  );
}

await main();
