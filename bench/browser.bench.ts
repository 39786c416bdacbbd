/**
 * The dashboard in Chromium on real IndexedDB (issue 8): JavaScript shipped (gzip), script
 * loaded → first rendered queue over 10,000 local actions, Done click → row gone p99.
 */
import { existsSync } from 'node:fs';
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { CHROMIUM_PATH, buildDashboard } from '../harness/chromium.ts';
import { dashboardTimings, shippedJavaScript } from './browser/dashboard-figures.ts';

const browser: BenchModule = {
  name: 'browser',
  description:
    'The dashboard in Chromium on IndexedDB: JS shipped gzipped; script loaded → first rendered queue with 10k local actions; Done click → row gone p99.',
  unavailable: async () => (existsSync(CHROMIUM_PATH) ? undefined : `no Chromium at ${CHROMIUM_PATH}`),
  async run(context) {
    const rows: BenchRow[] = [];
    rows.push(...(await shippedJavaScript(await buildDashboard())));
    rows.push(...(await dashboardTimings(context)));
    return rows;
  },
};

export default browser;
