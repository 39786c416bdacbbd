/**
 * Foundation (issue 2, item 7): the store's own costs on Dexie over fake-indexeddb and on
 * RxDB's memory storage, in one process — bulk insert against raw Dexie, cold top-20 reads
 * at growing sizes, live emission latency, latest summary, memory.
 */
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { benchBulkInsights } from './foundation/bulk-insights.ts';
import { benchColdPriority } from './foundation/cold-priority.ts';
import { benchLiveLatency } from './foundation/live-latency.ts';
import { benchLatestSummary } from './foundation/latest-summary.ts';
import { benchMemoryRss } from './foundation/memory-rss.ts';

const foundation: BenchModule = {
  name: 'foundation',
  description:
    'Client store on Dexie (fake-indexeddb) and memory storage: bulk insert vs raw Dexie, cold top-20 reads at 1k–100k, live latency, latest summary, RSS.',
  async run(context) {
    const rows: BenchRow[] = [];
    for (const part of [benchBulkInsights, benchColdPriority, benchLiveLatency, benchLatestSummary, benchMemoryRss]) {
      rows.push(...(await part(context)));
    }
    return rows;
  },
};

export default foundation;
