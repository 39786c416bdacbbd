/**
 * Sync never waits on a tab the person is not using (issue 18.5), measured in real Chromium:
 * two tabs of one profile on one IndexedDB store, the leader frozen (hidden, `freeze`, then
 * its main thread held) or stuck in a long task with no warning, and the time from that
 * moment to the visible tab's next write acknowledged by the server. The baseline is the
 * same write with the leader healthy (the follower's write pushed by the leader). p50 and
 * max over repeats.
 */
import { existsSync } from 'node:fs';
import type { BenchContext, BenchModule, BenchRow } from './lib/bench-module.ts';
import { info, judged } from './lib/bench-module.ts';
import { median, round } from './lib/stats.ts';
import { startBenchServer, type BenchServer } from './lib/sync-server.ts';
import { CHROMIUM_PATH, launchChromium, serveBrowserFixture, type LaunchedChromium } from '../harness/chromium.ts';
import { createAction, holdMainThread, isLeader, openLeaderAndFollower, statusOf, writeSettles } from '../harness/multi-tab.ts';

const WORKSPACE = 'bench-tabs';
const SUBJECT = 'chromium';
/** A visible tab never waits longer than a few seconds (issue 18.1). */
const TARGET_MS = 5_000;
/** A write that has not settled by then is a hang: recorded as this, and the row says so. */
const HANG_MS = 60_000;

type Scenario = 'healthy' | 'frozen' | 'stuck';

interface Setup {
  readonly server: BenchServer;
  readonly token: string;
  readonly site: string;
  readonly browser: LaunchedChromium;
}

/** One repeat: from the leader's freeze (or hang) to the follower's write acknowledged, in ms. */
async function oneRepeat(setup: Setup, scenario: Scenario, store: string): Promise<number> {
  const { leader, follower } = await openLeaderAndFollower(setup.browser, setup.site, {
    store,
    token: setup.token,
    url: setup.server.url,
  });
  const started = performance.now();
  if (scenario === 'frozen') {
    // A string: tsx names the getter's function (`__name`), which the page does not have.
    await leader.evaluate(`
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
      document.dispatchEvent(new Event('freeze'));
    `);
  }
  const held = scenario === 'healthy' ? undefined : await holdMainThread(leader);
  try {
    const id = await createAction(follower, WORKSPACE, `${scenario}: written in the visible tab`);
    const outcome = await writeSettles(follower, id, HANG_MS);
    if (outcome === 'settled') return performance.now() - started;
    console.error(
      `[tabs] ${scenario} hung: follower leads=${String(await isLeader(follower))} status=${JSON.stringify(await statusOf(follower))}`,
    );
    return HANG_MS;
  } finally {
    await held?.release().catch(() => undefined);
    await leader.close().catch(() => undefined);
    await follower.close().catch(() => undefined);
  }
}

async function measure(setup: Setup, context: BenchContext): Promise<BenchRow[]> {
  const repeats = context.scale(8, 2);
  const rows: BenchRow[] = [];
  const p50s: Partial<Record<Scenario, number>> = {};
  for (const scenario of ['healthy', 'frozen', 'stuck'] as const) {
    const samples: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      samples.push(round(await oneRepeat(setup, scenario, `tabs-${scenario}-${repeat}`), 0));
      context.log(`${scenario} ${repeat + 1}/${repeats}: ${samples.at(-1)} ms`);
    }
    const p50 = median(samples);
    const max = Math.max(...samples);
    p50s[scenario] = p50;
    const hung = samples.filter((sample) => sample >= HANG_MS).length;
    const what = {
      healthy: 'leader visible and running (baseline)',
      frozen: 'leader hidden, then freeze, then its thread held',
      stuck: 'leader stuck in a long task, no warning',
    }[scenario];
    const note = `${what}; ${repeats} repeats, each a new store${hung > 0 ? `; ${hung} did not settle within ${HANG_MS / 1000} s` : ''}`;
    const details = { samples };
    if (scenario === 'healthy') {
      rows.push(
        info({
          id: 'healthy.p50',
          name: 'follower write acknowledged, leader healthy, p50',
          subject: SUBJECT,
          value: p50,
          unit: 'ms',
          note,
          details,
        }),
      );
    } else {
      rows.push(
        info({
          id: `${scenario}.p50`,
          name: `${scenario === 'frozen' ? 'leader frozen' : 'leader stuck'} → visible tab's write acknowledged, p50`,
          subject: SUBJECT,
          value: p50,
          unit: 'ms',
          note: `${note}; ${round(p50 / Math.max(1, p50s.healthy ?? 1), 1)}× the healthy p50`,
          details,
        }),
        judged({
          id: `${scenario}.max`,
          name: `${scenario === 'frozen' ? 'leader frozen' : 'leader stuck'} → visible tab's write acknowledged, max`,
          subject: SUBJECT,
          value: max,
          unit: 'ms',
          target: { op: '<=', value: TARGET_MS },
          note,
        }),
      );
    }
  }
  return rows;
}

const tabs: BenchModule = {
  name: 'tabs',
  description: 'Chromium, two tabs on one store: leader frozen or stuck → the visible tab’s next synced write (issue 18)',
  unavailable: async () => (existsSync(CHROMIUM_PATH) ? undefined : `no Chromium at ${CHROMIUM_PATH}`),
  async run(context) {
    const server = await startBenchServer('pglite');
    const site = await serveBrowserFixture();
    const browser = await launchChromium();
    try {
      return await measure({ server, token: await server.token([WORKSPACE]), site: site.url, browser }, context);
    } finally {
      await browser.close();
      await browser.removeProfile();
      await site.close();
      await server.close();
    }
  },
};

export default tabs;
