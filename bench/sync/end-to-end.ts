/**
 * End-to-end latency through the server: a write on client A (createActionRecommendation)
 * to the getActionsByPriority `$` emission on client B that contains it. Both clients
 * replicate live (SSE stream); writes are sequential, each waiting for B's emission. Each
 * sample is split into phases from the clients' request timestamps.
 */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info, judged } from '../lib/bench-module.ts';
import { GcTracker } from '../lib/gc-tracker.ts';
import { MeteredFetch, type RequestRecord } from '../lib/metered-fetch.ts';
import { median, percentile, round, settle, summarize } from '../lib/stats.ts';
import { benchDatabaseName, disposeStore, makeStorage, openStore } from '../lib/storages.ts';
import type { BenchServer } from '../lib/sync-server.ts';
import { cpuMs } from '../lib/emission-probe.ts';
import { replicateBrainStore, type BrainAction, type BrainStore, type BrainSync } from '../../src/index.ts';
import { loadNote } from '../lib/load-note.ts';

const WORKSPACE = 'w-e2e';
/**
 * Issue 10's targets on PostgreSQL (p50 ≤ 5 ms, p99 ≤ 20 ms; Electric reports about 6 ms);
 * on PGlite, where the database shares this one thread, issue 3's (10 / 50 ms).
 */
const TARGETS = { postgres: { p50: 5, p99: 20 }, pglite: { p50: 10, p99: 50 } } as const;
const TIMEOUT_MS = 10_000;
const WARMUPS = 10;

interface Phases {
  /** Write call → A's push request starts (local write, RxDB upstream picks it up). */
  readonly toPush: number;
  /** A's push round trip (server transaction + NOTIFY inside). */
  readonly push: number;
  /**
   * A's push request start → B's pull request start; when B's stream carried the documents
   * (no pull), → the emission: push, NOTIFY/LISTEN, the change feed's read, the CHANGES event.
   */
  readonly pushStartToPull: number;
  /** B's pull round trip. */
  readonly pull: number;
  /** B's pull response → `$` emission (JSON parse, RxDB write into B's storage, query update). */
  readonly applyEmit: number;
}

/** Resolves with the time of the first emission of `source` whose answer satisfies a predicate registered before the write. */
class AnswerWaiter {
  readonly #waiters = new Set<{ test: (actions: readonly BrainAction[]) => boolean; resolve: (at: { at: number; cpu: number }) => void }>();
  readonly #subscription;
  constructor(store: BrainStore) {
    this.#subscription = store.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).$.subscribe((actions) => {
      const at = performance.now();
      const cpu = cpuMs();
      for (const waiter of this.#waiters) {
        if (!waiter.test(actions)) continue;
        this.#waiters.delete(waiter);
        waiter.resolve({ at, cpu });
      }
    });
  }
  wait(test: (actions: readonly BrainAction[]) => boolean): Promise<{ at: number; cpu: number }> {
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (at: { at: number; cpu: number }) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no emission within ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      this.#waiters.add(waiter);
    });
  }
  stop(): void {
    this.#subscription.unsubscribe();
  }
}

function phasesOf(t0: number, at: number, a: readonly RequestRecord[], b: readonly RequestRecord[]): Phases | undefined {
  const push = a.find((record) => record.kind === 'push' && record.start >= t0);
  const pull = b.filter((record) => record.kind === 'pull' && record.start >= t0 && record.end <= at).at(-1);
  if (!push) return undefined;
  // Delivered on B's stream (CHANGES, issue 10): no pull; the whole way after A's push start is one phase.
  if (!pull) return { toPush: push.start - t0, push: push.end - push.start, pushStartToPull: at - push.start, pull: 0, applyEmit: 0 };
  return {
    toPush: push.start - t0,
    push: push.end - push.start,
    pushStartToPull: pull.start - push.start,
    pull: pull.end - pull.start,
    applyEmit: at - pull.end,
  };
}

export async function benchEndToEnd(context: BenchContext, server: BenchServer): Promise<BenchRow[]> {
  const writes = context.scale(200, 30);
  const subject = server.backend;
  const { p50: TARGET_P50_MS, p99: TARGET_P99_MS } = TARGETS[subject];
  const token = await server.token([WORKSPACE]);
  const a = await openStore(makeStorage('memory'), benchDatabaseName('e2e-a'));
  const b = await openStore(makeStorage('memory'), benchDatabaseName('e2e-b'));
  const fetchA = new MeteredFetch();
  const fetchB = new MeteredFetch();
  const syncs: BrainSync[] = [];
  const gc = new GcTracker();
  let waiter: AnswerWaiter | undefined;
  try {
    for (const [store, fetcher] of [
      [a, fetchA],
      [b, fetchB],
    ] as const) {
      syncs.push(replicateBrainStore(store, { url: server.url, token, live: true, collections: ['brainActions'], fetch: fetcher.fetch }));
    }
    await Promise.all(syncs.map((sync) => sync.awaitInSync()));
    waiter = new AnswerWaiter(b);
    await settle(100);

    const samples: number[] = [];
    const phases: Phases[] = [];
    const slow: { ms: number; gcMs: number; offCpuMs: number }[] = [];
    let timeouts = 0;
    server.meter.reset();
    for (let i = 0; i < WARMUPS + writes; i++) {
      // Let the previous write's tail (A pulling its own change back) finish first.
      await settle(10);
      fetchA.reset();
      fetchB.reset();
      if (i === WARMUPS) server.meter.reset();
      const contact = `contact-e2e-${i}`;
      const emitted = waiter.wait((actions) => actions.some((action) => action.contact_id === contact));
      const t0 = performance.now();
      const cpu0 = cpuMs();
      await a.brainActions.createActionRecommendation({
        workspace_id: WORKSPACE,
        contact_id: contact,
        action_type: 'follow_up',
        priority: 100,
        urgency: 'immediate',
        reason: 'end-to-end latency probe',
      });
      const emission = await emitted.catch(() => undefined);
      if (i < WARMUPS) continue;
      if (!emission) {
        timeouts += 1;
        continue;
      }
      const ms = emission.at - t0;
      samples.push(ms);
      const split = phasesOf(t0, emission.at, fetchA.records, fetchB.records);
      if (split) phases.push(split);
      if (ms > TARGET_P50_MS) slow.push({ ms, gcMs: gc.pauseWithin(t0, emission.at), offCpuMs: Math.max(0, ms - (emission.cpu - cpu0)) });
    }
    if (samples.length === 0) throw new Error(`no write reached client B within ${TIMEOUT_MS} ms`);
    const stats = summarize(samples);
    const phaseMedians = Object.fromEntries(
      (['toPush', 'push', 'pushStartToPull', 'pull', 'applyEmit'] as const).map((key) => [
        key,
        round(median(phases.map((phase) => phase[key])), 2),
      ]),
    ) as Record<keyof Phases, number>;
    const sql = server.meter.snapshot();
    const perStatement = Object.entries(sql.byStatement)
      .map(([label, { count, ms }]) => `${label} ${round(ms / count, 2)} ms`)
      .join(', ');
    const phaseText =
      `median phases: write → A's push request ${phaseMedians.toPush} ms, A's push round trip ${phaseMedians.push} ms, ` +
      `A's push start → \`$\` on B when the stream carried the documents, else → B's pull start (push, NOTIFY/LISTEN, change-feed read, CHANGES event, apply) ${phaseMedians.pushStartToPull} ms, ` +
      `B's pull round trip (0 when the event carried the documents) ${phaseMedians.pull} ms, B's pull response → \`$\` ${phaseMedians.applyEmit} ms; server SQL per statement: ${perStatement}`;
    const slowGc = slow.reduce((sum, s) => sum + s.gcMs, 0);
    const slowOff = slow.reduce((sum, s) => sum + s.offCpuMs, 0);
    const slowWall = slow.reduce((sum, s) => sum + s.ms, 0);
    const slowText = slow.length
      ? `; ${slow.length} samples above ${TARGET_P50_MS} ms: of their ${round(slowWall, 0)} ms, ${round(slowGc, 0)} ms GC pauses and ≈${round(slowOff, 0)} ms the process was off-CPU`
      : '';
    const streamed = phases.filter((phase) => phase.pull === 0).length;
    const common = `${samples.length} sequential writes after ${WARMUPS} warm-ups (${streamed} of them reached B as documents on its stream, without a pull), both clients on memory storage replicating brainActions live over SSE; ${phaseText}${slowText}${timeouts ? `; ${timeouts} writes timed out` : ''}${loadNote()}`;
    const details = { writes, ...stats, timeouts, phaseMedians, phases, serverSql: sql, samplesMs: samples.map((ms) => round(ms, 2)) };
    const p50 = round(percentile(samples, 50), 2);
    const p99 = round(percentile(samples, 99), 2);
    const missP50 = p50 > TARGET_P50_MS ? `; p50 over target: the largest phases are ${largest(phaseMedians)}` : '';
    const onCpu = Math.max(0, slowWall - slowGc - slowOff);
    const tailCause = [
      { label: 'GC pauses', ms: slowGc },
      { label: 'the process waiting for a CPU (machine load)', ms: slowOff },
      { label: 'on-CPU work in this one process (server, PGlite when used, and both clients share one thread)', ms: onCpu },
    ].sort((x, y) => y.ms - x.ms);
    const missP99 =
      p99 > TARGET_P99_MS
        ? `; p99 over target: of the slow samples' time, ${tailCause.map((cause) => `${round((cause.ms / slowWall) * 100, 0)}% ${cause.label}`).join(', ')}`
        : '';
    return [
      judged({
        id: `e2e.${subject}.p50`,
        name: 'write on A → `$` on B, p50 (200 writes)',
        subject,
        value: p50,
        unit: 'ms',
        target: { op: '<=', value: TARGET_P50_MS },
        note: common + missP50,
        details,
      }),
      judged({
        id: `e2e.${subject}.p99`,
        name: 'write on A → `$` on B, p99 (200 writes)',
        subject,
        value: p99,
        unit: 'ms',
        target: { op: '<=', value: TARGET_P99_MS },
        note: `min ${stats.min} ms, p90 ${stats.p90} ms, max ${stats.max} ms` + missP99 + slowText + loadNote(),
      }),
      info({
        id: `e2e.${subject}.phases`,
        name: 'write on A → `$` on B, median of summed phases',
        subject,
        value: round(
          Object.values(phaseMedians).reduce((sum, v) => sum + v, 0),
          2,
        ),
        unit: 'ms',
        note: phaseText,
      }),
    ];
  } finally {
    waiter?.stop();
    gc.stop();
    for (const sync of syncs) await sync.cancel();
    await disposeStore(a);
    await disposeStore(b);
  }
}

function largest(phases: Record<keyof Phases, number>): string {
  const labels: Record<keyof Phases, string> = {
    toPush: "local write → A's push request (RxDB upstream pickup)",
    push: "A's push round trip",
    pushStartToPull: "A's push → NOTIFY → change feed → CHANGES on B's stream → `$`",
    pull: "B's pull round trip",
    applyEmit: "B's apply + query emission",
  };
  return (Object.entries(phases) as [keyof Phases, number][])
    .sort((x, y) => y[1] - x[1])
    .slice(0, 2)
    .map(([key, ms]) => `${labels[key]} ${ms} ms`)
    .join(' and ');
}
