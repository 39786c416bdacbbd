/** Peak RSS with 100k pending actions loaded, measured in a fresh child process per storage. */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info } from '../lib/bench-module.ts';
import { round } from '../lib/stats.ts';
import { CLIENT_STORAGES } from '../lib/storages.ts';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'memory-child.ts');
/** Prefix of the child's one result line on stdout. */
export const RESULT_MARKER = 'MEMORY_RESULT ';

/** What memory-child.ts prints after the marker. */
export interface MemoryResult {
  rssBeforeMB: number;
  rssAfterMB: number;
  rssDeltaMB: number;
  heapUsedDeltaMB: number;
  peakRssMB: number;
  maxRssMB: number;
}

export async function benchMemoryRss(context: BenchContext): Promise<BenchRow[]> {
  const size = context.scale(100_000, 10_000);
  const rows: BenchRow[] = [];
  for (const storageName of CLIENT_STORAGES) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, storageName, String(size)], {
      cwd: join(dirname(CHILD), '..', '..'),
      maxBuffer: 16 * 2 ** 20,
      timeout: 300_000,
    });
    const line = stdout.split('\n').find((text) => text.startsWith(RESULT_MARKER));
    if (!line) throw new Error(`memory child for ${storageName} printed no result`);
    const result = JSON.parse(line.slice(RESULT_MARKER.length)) as MemoryResult;
    const label = `${size / 1000}k`;
    context.log(`memory ${storageName}: +${round(result.rssDeltaMB, 0)} MB RSS, peak ${round(result.maxRssMB, 0)} MB`);
    const details = Object.fromEntries(Object.entries(result).map(([key, value]) => [key, round(value, 1)]));
    rows.push(
      info({
        id: `memory.${storageName}.rss-delta`,
        name: `RSS growth with ${label} actions loaded`,
        subject: storageName,
        value: round(result.rssDeltaMB, 0),
        unit: 'MB',
        note: `fresh process; after GC: RSS ${round(result.rssBeforeMB, 0)} → ${round(result.rssAfterMB, 0)} MB, JS heap +${round(result.heapUsedDeltaMB, 0)} MB`,
        details,
      }),
    );
    rows.push(
      info({
        id: `memory.${storageName}.peak`,
        name: `peak RSS loading ${label} actions`,
        subject: storageName,
        value: round(result.maxRssMB, 0),
        unit: 'MB',
        note: 'process maxRSS (includes seeding garbage before GC)',
        details,
      }),
    );
  }
  return rows;
}
