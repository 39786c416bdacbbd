/**
 * Child of the SQLite RSS/reopen benchmark (a fresh process, so nothing earlier is in its
 * memory): with the modules loaded and the heap collected, opens the store at <path> and
 * runs the top-20 read; prints the time for that and the RSS before and after.
 *   node --import tsx bench/storage/reopen-child.ts <path>
 */
import { collectGarbage, settle } from '../lib/stats.ts';
import { openSqliteStore } from './sqlite-store.ts';

export const REOPEN_MARKER = 'REOPEN_RESULT ';
const MB = 2 ** 20;

async function main(): Promise<void> {
  const path = process.argv[2]!;
  collectGarbage();
  await settle(50);
  const before = process.memoryUsage().rss;
  const start = performance.now();
  const store = await openSqliteStore(path);
  const top = await store.brainActions.getActionsByPriority({ workspace_id: 'w-rss' }).exec();
  const reopenMs = performance.now() - start;
  collectGarbage();
  await settle(50);
  const after = process.memoryUsage().rss;
  process.stdout.write(
    `${REOPEN_MARKER}${JSON.stringify({ reopenMs, top: top.length, rssBeforeMB: before / MB, rssAfterMB: after / MB })}\n`,
  );
  await store.close();
}

await main();
