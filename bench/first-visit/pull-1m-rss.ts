/**
 * A million actions first-synced into SQLite (issue 19.3): the client runs in a child process
 * (bench/first-visit/pull-rss-child.ts), so its peak RSS is its own, not the server's or the
 * seeding's; the server runs here on PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchContext } from '../lib/bench-module.ts';
import { pendingActions } from '../lib/fixtures.ts';
import type { BenchServer } from '../lib/sync-server.ts';
import { sqliteFile } from '../storage/sqlite-store.ts';
import { insertRows } from '../sync/server-rows.ts';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'pull-rss-child.ts');
const SEED_CHUNK = 100_000;
/** The child's result line starts with this (as pull-rss-child.ts prints it). */
const PULL_RSS_MARKER = 'PULL_RSS_RESULT ';

export interface MillionPullResult {
  readonly ms: number;
  readonly count: number;
  /** The child's VmHWM when the sync ended: its peak RSS, which sampling could miss. */
  readonly maxRssMB: number;
  /** The same after the checks that follow the sync (a count, closing the store). */
  readonly maxRssAfterChecksMB: number;
  /** getrusage's maxrss, which counts the parent's RSS at the fork (kept to show the difference). */
  readonly getrusageMaxRssMB: number;
  /** After loading the modules and opening the store, before the first request. */
  readonly rssBeforeMB: number;
  readonly heapPeakMB: number;
  readonly externalPeakMB: number;
  readonly sampledPeak: { t: number; rss: number; heap: number };
  readonly samples: readonly { t: number; rss: number; heap: number }[];
}

/** Seeds `size` actions in `workspace`, in chunks (the fixtures of 100k at a time stay small). */
export async function seedActions(server: BenchServer, workspace: string, size: number): Promise<void> {
  const newest = Date.now() - 60_000;
  for (let start = 0; start < size; start += SEED_CHUNK) {
    const docs = pendingActions(Math.min(SEED_CHUNK, size - start), { workspace_id: workspace, newest: newest - start, seed: 31 + start });
    await insertRows(server.sql, 'brainActions', docs, 5_000);
  }
  await server.sql.query('ANALYZE brain_store_documents');
}

/** The first sync of everything in the token's workspaces into a fresh SQLite file, in a child process. */
export async function millionPull(server: BenchServer, token: string, pageSize: number, context: BenchContext): Promise<MillionPullResult> {
  const file = sqliteFile('first-sync-1m');
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', CHILD, server.url, token, file.path, String(pageSize)],
      { cwd: join(dirname(CHILD), '..', '..'), timeout: 1_800_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const line = stdout.split('\n').find((text) => text.startsWith(PULL_RSS_MARKER));
    if (!line) throw new Error('the first-sync child printed no result');
    const result = JSON.parse(line.slice(PULL_RSS_MARKER.length)) as MillionPullResult;
    context.log(
      `1M first sync: ${Math.round(result.ms)} ms, peak RSS ${Math.round(result.maxRssMB)} MB (${Math.round(result.rssBeforeMB)} MB before)`,
    );
    return result;
  } finally {
    file.dispose();
  }
}
