/**
 * Push of 10k bot writes: actions written to the bot's local store while not replicating,
 * then replicateBrainStore pushes them (live: false, until in sync) — against, in the same
 * run, a raw batched INSERT of the same rows into the same table (same batch size, the
 * server's insert statement shape, the stamping trigger runs for both).
 */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info, judged } from '../lib/bench-module.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { MeteredFetch } from '../lib/metered-fetch.ts';
import { seed } from '../lib/seed.ts';
import { meteredMemoryStorage } from '../lib/metered-memory-storage.ts';
import { median, medianRun, quiesce, round } from '../lib/stats.ts';
import { benchDatabaseName, disposeStore, openStore } from '../lib/storages.ts';
import { serverRouteTime, type BenchServer } from '../lib/sync-server.ts';
import { replicateBrainStore } from '../../src/index.ts';
import type { BrainActionDocument } from '../../src/collections/brain-actions.ts';
import { clearWorkspace, countRows, insertRows } from './server-rows.ts';
import { loadNote } from '../lib/load-note.ts';

const WORKSPACE = 'w-push';
const COLLECTION = 'brainActions';
const PUSH_BATCH = 1_000;
/** replicateBrainStore's default batch size, measured once for comparison. */
const DEFAULT_BATCH = 200;
const TARGET_RATIO = 2;
const ROUTE = '/sync/:collection/push';

interface PushSample {
  readonly ms: number;
  readonly httpMs: number;
  readonly requests: number;
  /** The server's own time in its push handlers (its /metrics latency sum). */
  readonly serverMs: number;
  readonly serverSqlMs: number;
  readonly serverTransactionMs: number;
  readonly byStatement: Record<string, { count: number; ms: number }>;
  /** RxDB replication's meta instance on the client (assumed-master rows for every pushed document). */
  readonly metaMs: number;
}

async function pushOnce(server: BenchServer, token: string, docs: readonly BrainActionDocument[], batchSize: number): Promise<PushSample> {
  const metered = meteredMemoryStorage();
  const store = await openStore({ name: 'memory', storage: metered.storage }, benchDatabaseName('push'));
  try {
    await seed(store.database.brainActions, docs);
    const fetcher = new MeteredFetch();
    await quiesce();
    const before = await serverRouteTime(server, ROUTE);
    server.meter.reset();
    const start = performance.now();
    const sync = replicateBrainStore(store, {
      url: server.url,
      token,
      live: false,
      batchSize,
      collections: [COLLECTION],
      fetch: fetcher.fetch,
    });
    await sync.awaitInSync();
    const ms = performance.now() - start;
    await sync.cancel();
    const http = fetcher.total('push');
    const sql = server.meter.snapshot();
    const after = await serverRouteTime(server, ROUTE);
    const meta = metered.replicationMetaCost();
    return {
      metaMs: meta.writeMs + meta.indexMs,
      ms,
      httpMs: http.ms,
      requests: http.requests,
      serverMs: after.ms - before.ms,
      serverSqlMs: sql.queryMs,
      serverTransactionMs: sql.transactionMs,
      byStatement: sql.byStatement,
    };
  } finally {
    await disposeStore(store);
  }
}

export async function benchPush(context: BenchContext, server: BenchServer): Promise<BenchRow[]> {
  const size = context.scale(10_000, 2_000);
  const runs = context.scale(2, 1);
  const subject = server.backend;
  const docs = pendingActions(size, { workspace_id: WORKSPACE, newest: Date.now() - 60_000, seed: 21 });
  const token = await server.token([WORKSPACE]);
  const expectAll = async (what: string) => {
    const count = await countRows(server.sql, COLLECTION, WORKSPACE);
    if (count !== size) throw new Error(`${what} left ${count} rows on the server, expected ${size}`);
    await clearWorkspace(server.sql, COLLECTION, WORKSPACE);
  };

  const rawMs: number[] = [];
  const pushes: PushSample[] = [];
  for (let run = 0; run < runs; run++) {
    await quiesce();
    const start = performance.now();
    await insertRows(server.sql, COLLECTION, docs, PUSH_BATCH);
    rawMs.push(performance.now() - start);
    await expectAll('the raw INSERT');

    pushes.push(await pushOnce(server, token, docs, PUSH_BATCH));
    await expectAll('the push');
    context.log(`push ${subject} run ${run + 1}: push ${round(pushes.at(-1)!.ms, 0)} ms, raw INSERT ${round(rawMs.at(-1)!, 0)} ms`);
  }
  const atDefault = await pushOnce(server, token, docs, DEFAULT_BATCH);
  await expectAll(`the push at batchSize ${DEFAULT_BATCH}`);

  // The median push run: its time is the figure, its parts the breakdown.
  const typical = medianRun(pushes);
  const pushMs = typical.ms;
  const raw = median(rawMs);
  const ratio = round(pushMs / raw, 2);
  const statements = Object.entries(typical.byStatement)
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([label, { count, ms }]) => `${label} ${round(ms, 0)} ms/${count}`)
    .join(', ');
  const serverOutsideSql = typical.serverMs - typical.serverTransactionMs;
  const clientMs = typical.ms - typical.serverMs;
  const breakdown =
    `push ${round(typical.ms, 0)} ms (${typical.requests} requests) = server push handlers ${round(typical.serverMs, 0)} ms ` +
    `[transactions ${round(typical.serverTransactionMs, 0)} ms: ${statements}; outside SQL ${round(serverOutsideSql, 0)} ms: body parse, zod shape check, per-row schema validation, token check] ` +
    `+ ${round(clientMs, 0)} ms client and transport, of which RxDB's meta instance writes ${round(typical.metaMs, 0)} ms (assumed-master rows for each pushed document); ` +
    `the rest RxDB upstream reading the fork, request JSON, loopback HTTP, GC`;
  const details = {
    size,
    runs,
    batchSize: PUSH_BATCH,
    pushMs: pushes.map((p) => round(p.ms, 1)),
    rawMs: rawMs.map((v) => round(v, 1)),
    samples: pushes,
    atDefaultBatch: atDefault,
  };
  let note = `median of ${runs}; raw batched INSERT (${Math.ceil(size / PUSH_BATCH)} statements of ${PUSH_BATCH}, jsonb_to_recordset) ${round(raw, 0)} ms; ${breakdown}`;
  if (ratio > TARGET_RATIO) {
    const parts = [
      { label: 'client-side RxDB upstream', ms: clientMs },
      { label: 'server outside SQL', ms: serverOutsideSql },
      { label: 'server SQL beyond the raw INSERT', ms: typical.serverTransactionMs - raw },
    ].sort((a, b) => b.ms - a.ms);
    note += `; over target, largest extra costs: ${parts.map((part) => `${part.label} +${round(part.ms, 0)} ms`).join(', ')}`;
  }
  note += loadNote();
  return [
    judged({
      id: `push.${subject}.ratio`,
      name: 'push 10k bot writes / raw batched INSERT',
      subject,
      value: ratio,
      unit: 'x',
      target: { op: '<=', value: TARGET_RATIO },
      note,
      details,
    }),
    info({
      id: `push.${subject}.ms`,
      name: `push 10k bot writes (batchSize ${PUSH_BATCH})`,
      subject,
      value: round(pushMs, 0),
      unit: 'ms',
      note: `${round(size / (pushMs / 1000), 0)} docs/s; ${breakdown}`,
    }),
    info({
      id: `push.${subject}.raw-insert`,
      name: 'raw batched INSERT of the same 10k rows',
      subject,
      value: round(raw, 0),
      unit: 'ms',
      note: `${Math.ceil(size / PUSH_BATCH)} INSERT … SELECT FROM jsonb_to_recordset statements of ${PUSH_BATCH} rows, autocommit`,
    }),
    info({
      id: `push.${subject}.default-batch`,
      name: `push 10k bot writes at the default batchSize ${DEFAULT_BATCH}`,
      subject,
      value: round(atDefault.ms, 0),
      unit: 'ms',
      note: `one run; ${atDefault.requests} requests, HTTP ${round(atDefault.httpMs, 0)} ms, server transactions ${round(atDefault.serverTransactionMs, 0)} ms; ratio to the raw INSERT at ${PUSH_BATCH} ${round(atDefault.ms / raw, 2)}×`,
    }),
  ];
}
