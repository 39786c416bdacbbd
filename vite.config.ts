import { defineConfig } from 'vitest/config';

/**
 * Three projects, by what a test file needs (docs/testing.md):
 * - `unit`: pure logic, RxDB's memory storage, Dexie over fake-indexeddb, SQLite files, short
 *   child processes. Files run in parallel workers.
 * - `postgres`: anything that starts PGlite, uses PostgreSQL or PgBouncer, or runs sync
 *   servers and clients as processes. Two workers: each file has its own database, but these
 *   files wait on real servers and time-bounded recovery, and more at once starves them.
 * - `browser`: real Chromium. One file at a time; Chromium alone keeps two cores busy.
 *
 * A new test file lands in `postgres` unless it is listed in UNIT or BROWSER, so a file that
 * starts a server never runs in the crowded unit pool by accident. The projects run one
 * after the other (sequence.groupOrder), each with its own worker count; CI (.ci/run) runs
 * `browser` on its own, beside the linter, before the others.
 * `npx vitest run --project unit` runs one of them.
 */
const UNIT = [
  'test/collections/**/*.test.ts',
  'test/harness/**/*.test.ts',
  'test/dashboard/**/*.test.ts',
  'test/hooks/**/*.test.ts',
  'test/queries/**/*.test.ts',
  'test/expiry/{expiry-cleanup-lifecycle,expiry-scale,retention,start-expiry-cleanup}.test.ts',
  'test/store/{create-brain-store,uuid-v7}.test.ts',
  'test/storage/{bad-input,browser-bundle,index-key,query-equivalence,rx-storage-contract,sqlite-storage}.test.ts',
  'test/replication/{clock-dashboard,clock-offset,clock-tracker,last-chance-push,merge-convergence,sync-http-client,watch-session}.test.ts',
  'test/server/auth/access-token.test.ts',
  'test/server/config/**/*.test.ts',
  'test/server/documents/**/*.test.ts',
  'test/server/http/{create-sync-app,serve-dashboard}.test.ts',
  'test/bin/bot/**/*.test.ts',
  'test/bin/{cli-defects,dashboard-build,start-secret,version-and-help}.test.ts',
];
const BROWSER = ['test/browser/**/*.test.ts', 'test/replication/pending-writes-follower.test.ts'];
/** RxDB's own replication suite expects mocha-style describe/it globals. */
const RXDB_SUITE = ['test/**/*.suite.test.ts'];

/** Generous: PGlite, Chromium and child processes start slowly on a loaded 2-core machine. */
const timeouts = { testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: UNIT,
          environment: 'node',
          ...timeouts,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, ...BROWSER, ...RXDB_SUITE],
          environment: 'node',
          ...timeouts,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'rxdb-suite',
          include: RXDB_SUITE,
          environment: 'node',
          globals: true,
          ...timeouts,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'browser',
          include: BROWSER,
          environment: 'node',
          ...timeouts,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
