/**
 * Live latency at 10k pending actions: from the write call to the getActionsByPriority `$`
 * emission, for writes that change the top 20 (insert entering, update entering, update
 * leaving), and the number of emissions for writes that leave it unchanged.
 */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { judged } from '../lib/bench-module.ts';
import { availableParallelism, loadavg } from 'node:os';
import { cpuMs, EmissionProbe } from '../lib/emission-probe.ts';
import { GcTracker } from '../lib/gc-tracker.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { seededRandom } from '../../harness/seeded-random.ts';
import { seed } from '../lib/seed.ts';
import { percentile, round, settle, summarize } from '../lib/stats.ts';
import { benchDatabaseName, CLIENT_STORAGES, disposeStore, makeStorage, openStore } from '../lib/storages.ts';
import type { BrainAction, BrainStore, CreateActionArgs } from '../../src/index.ts';

const WORKSPACE = 'w-live';
const TARGET_P99_MS = 16;
const TIMEOUT_MS = 10_000;

const action = (priority: number): CreateActionArgs => ({
  workspace_id: WORKSPACE,
  contact_id: 'contact-live',
  action_type: 'follow_up',
  priority,
  urgency: 'today',
  reason: 'Live latency probe',
});

interface Scenario {
  readonly id: string;
  readonly name: string;
  /** Prepares the i-th write (reads it needs happen here, untimed) and returns it. */
  prepare(i: number): Promise<() => Promise<unknown>>;
}

async function measure(probe: EmissionProbe<BrainAction[]>, scenario: Scenario, warmups: number, runs: number, gc: GcTracker) {
  const samples: number[] = [];
  /** Samples above the target, with the GC pause and the process CPU time inside them. */
  const slow: { ms: number; gcMs: number; cpuMs: number }[] = [];
  let timeouts = 0;
  let extra = 0;
  for (let i = 0; i < warmups + runs; i++) {
    const write = await scenario.prepare(i);
    await settle(2);
    const before = probe.count;
    const emitted = probe.next(TIMEOUT_MS);
    const start = performance.now();
    const startCpu = cpuMs();
    const [, emission] = await Promise.all([write(), emitted.catch(() => undefined)]);
    await settle(0);
    if (!emission) timeouts += 1;
    else if (i >= warmups) {
      const ms = emission.at - start;
      samples.push(ms);
      if (ms > TARGET_P99_MS)
        slow.push({ ms: round(ms, 1), gcMs: round(gc.pauseWithin(start, emission.at), 1), cpuMs: round(emission.cpuMs - startCpu, 1) });
    }
    extra += Math.max(0, probe.count - before - 1);
  }
  return { samples, timeouts, extra, slow };
}

/** Says how much of the slow samples' time was GC pause and how much the process had no CPU at all (other load). */
function describeSlow(slow: readonly { ms: number; gcMs: number; cpuMs: number }[]): string {
  const wall = slow.reduce((sum, s) => sum + s.ms, 0);
  const gcMs = slow.reduce((sum, s) => sum + s.gcMs, 0);
  const offCpu = slow.reduce((sum, s) => sum + Math.max(0, s.ms - s.cpuMs), 0);
  return `of their ${round(wall, 0)} ms, ${round(gcMs, 0)} ms were GC pauses and ≈${round(offCpu, 0)} ms the process was off-CPU (machine load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`;
}

/** Seeded priorities stay ≤ 90, so a write with priority 100 always enters the top 20. */
function scenarios(store: BrainStore, probe: EmissionProbe<BrainAction[]>, lowIds: string[], count: number): Scenario[] {
  const collection = store.database.brainActions;
  // Oldest first: each re-prioritised action is newer than the previous ones, so it ranks first among priority 100.
  const entering = lowIds.slice(0, count);
  return [
    {
      id: 'update-enters',
      name: 'update entering the top 20',
      async prepare(i) {
        const doc = await collection.findOne(entering[i]).exec();
        return () => doc!.incrementalPatch({ priority: 100, priority_rank: 0 });
      },
    },
    {
      id: 'insert-enters',
      name: 'insert entering the top 20',
      prepare: async () => () => store.brainActions.createActionRecommendation(action(100)),
    },
    {
      id: 'update-leaves',
      name: 'dismissAction of a top-20 action',
      prepare: async () => {
        const id = probe.latest![0]!.id;
        return () => store.brainActions.dismissAction({ action_id: id });
      },
    },
  ];
}

/** Writes that leave the answer unchanged: a low insert, a low re-prioritisation, a dismissal outside the top 20. */
async function quietEmissions(store: BrainStore, probe: EmissionProbe<BrainAction[]>, quietIds: string[], perKind: number) {
  const collection = store.database.brainActions;
  const before = probe.count;
  for (let i = 0; i < perKind; i++) {
    await store.brainActions.createActionRecommendation(action(0));
    const doc = await collection.findOne(quietIds[i]).exec();
    await doc!.incrementalPatch({ priority: doc!.priority + 1, priority_rank: 99 - doc!.priority });
    await store.brainActions.dismissAction({ action_id: quietIds[perKind + i]! });
  }
  await settle(200);
  return probe.count - before;
}

export async function benchLiveLatency(context: BenchContext): Promise<BenchRow[]> {
  const size = context.scale(10_000, 2_000);
  const runs = context.scale(50, 10);
  const warmups = 5;
  const rows: BenchRow[] = [];
  const gc = new GcTracker();
  for (const storageName of CLIENT_STORAGES) {
    const store = await openStore(makeStorage(storageName), benchDatabaseName('live'));
    const docs = pendingActions(size, {
      workspace_id: WORKSPACE,
      newest: Date.now() - 60_000,
      priority: (random) => Math.floor(random() * 91),
      seed: 7,
    });
    await seed(store.database.brainActions, docs);
    const low = docs
      .filter((doc) => doc.priority <= 10)
      .sort((a, b) => a.created_at - b.created_at)
      .map((doc) => doc.id);
    const random = seededRandom(9);
    const shuffled = low.slice(warmups + runs).sort(() => random() - 0.5);
    const probe = new EmissionProbe(store.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).$);
    await probe.first(TIMEOUT_MS);
    for (const scenario of scenarios(store, probe, low, warmups + runs)) {
      const { samples, timeouts, extra, slow } = await measure(probe, scenario, warmups, runs, gc);
      context.log(`live ${storageName} ${scenario.id}: p50 ${round(percentile(samples, 50), 2)} ms`);
      const stats = summarize(samples);
      const note =
        `${runs} samples after ${warmups} warm-ups; p50 ${stats.p50} ms, max ${stats.max} ms` +
        (slow.length ? `; ${slow.length} above ${TARGET_P99_MS} ms — ${describeSlow(slow)}` : '') +
        (timeouts ? `; ${timeouts} writes never emitted` : '') +
        (extra ? `; ${extra} extra emissions` : '');
      const row = {
        id: `live.${storageName}.${scenario.id}.p99`,
        name: `live ${scenario.name}, p99 (10k)`,
        subject: storageName,
        value: timeouts ? null : stats.p99,
        unit: 'ms',
        details: {
          size,
          ...stats,
          timeouts,
          extra,
          slow,
          loadAverage: loadavg().map((l) => round(l, 2)),
          samplesMs: samples.map((ms) => round(ms, 3)),
        },
      };
      rows.push(judged({ ...row, target: { op: '<=', value: TARGET_P99_MS }, note }));
    }
    const perKind = context.scale(20, 5);
    const quiet = await quietEmissions(store, probe, shuffled, perKind);
    rows.push(
      judged({
        id: `live.${storageName}.quiet`,
        name: 'emissions for writes that leave the top 20 unchanged',
        subject: storageName,
        value: quiet,
        unit: 'emissions',
        target: { op: '==', value: 0 },
        note: `${perKind} low-priority inserts + ${perKind} low re-prioritisations + ${perKind} dismissals outside the top 20`,
      }),
    );
    probe.stop();
    await disposeStore(store);
  }
  gc.stop();
  return rows;
}
