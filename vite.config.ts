import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.suite.test.ts'],
          environment: 'node',
          // Generous: PGlite and child processes start slowly on a loaded 2-core machine.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // RxDB's own replication suite expects mocha-style describe/it globals.
        test: {
          name: 'rxdb-suite',
          include: ['test/**/*.suite.test.ts'],
          environment: 'node',
          globals: true,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
