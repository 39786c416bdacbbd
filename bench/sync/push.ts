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
import { cpuSince, databaseCpu } from './database-cpu.ts';

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
  /** CPU of this process (client, server and, on PGlite, the database) and of PostgreSQL's backends (null on PGlite). */
  readonly cpu: CpuSample;
}

interface CpuSample {
  readonly processMs: number;
  readonly databaseMs: number | null;
}

/** Runs `work`, measuring this process's CPU and the database backends' CPU. */
async function withCpu<T>(server: BenchServer, work: () => Promise<T>): Promise<{ result: T; cpu: CpuSample }> {
  const database = await databaseCpu(server.sql);
  const start = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(start);
  const databaseMs = cpuSince(database, await databaseCpu(server.sql));
  return { result, cpu: { processMs: (used.user + used.system) / 1000, databaseMs } };
}

function medianCpu(samples: readonly CpuSample[]): CpuSample {
  const database = samples.map((sample) => sample.databaseMs);
  return {
    processMs: median(samples.map((sample) => sample.processMs)),
    databaseMs: database.every((ms) => ms !== null) ? median(database) : null,
  };
}

function cpuTotal(cpu: CpuSample): number {
  return cpu.processMs + (cpu.databaseMs ?? 0);
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
    const { result: ms, cpu } = await withCpu(server, async () => {
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
      return ms;
    });
    const http = fetcher.total('push');
    const sql = server.meter.snapshot();
    const after = await serverRouteTime(server, ROUTE);
    const meta = metered.replicationMetaCost();
    return {
      cpu,
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
  const rawCpu: CpuSample[] = [];
  const pushes: PushSample[] = [];
  for (let run = 0; run < runs; run++) {
    await quiesce();
    const raw = await withCpu(server, async () => {
      const start = performance.now();
      await insertRows(server.sql, COLLECTION, docs, PUSH_BATCH);
      return performance.now() - start;
    });
    rawMs.push(raw.result);
    rawCpu.push(raw.cpu);
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
  // A batch of creates is one statement outside any transaction: SQL time is the larger of
  // the transactions' time and the statements' (which also counts the change feed's pulls).
  const sqlMs = (sample: PushSample) => Math.max(sample.serverTransactionMs, sample.serverSqlMs);
  const serverOutsideSql = typical.serverMs - sqlMs(typical);
  const clientMs = typical.ms - typical.serverMs;
  const breakdown =
    `push ${round(typical.ms, 0)} ms (${typical.requests} requests) = server push handlers ${round(typical.serverMs, 0)} ms ` +
    `[SQL ${round(sqlMs(typical), 0)} ms: ${statements}; outside SQL ${round(serverOutsideSql, 0)} ms: body parse, shape check, unsafe-text scan, per-row schema validation (zod), token check] ` +
    `+ ${round(clientMs, 0)} ms client and transport, of which RxDB's meta instance writes ${round(typical.metaMs, 0)} ms (assumed-master rows for each pushed document); ` +
    `the rest RxDB upstream reading the fork, request JSON, loopback HTTP, GC`;
  // CPU, less sensitive to other processes than wall time: this process (RxDB client,
  // server, and PGlite) plus PostgreSQL's backends for this database.
  const pushCpu = median(pushes.map((p) => cpuTotal(p.cpu)));
  const rawCpuMs = median(rawCpu.map(cpuTotal));
  const cpuParts = (cpu: CpuSample) =>
    cpu.databaseMs === null
      ? `${round(cpu.processMs, 0)} ms`
      : `${round(cpu.processMs, 0)} ms process + ${round(cpu.databaseMs, 0)} ms PostgreSQL`;
  const details = {
    size,
    runs,
    batchSize: PUSH_BATCH,
    pushMs: pushes.map((p) => round(p.ms, 1)),
    rawMs: rawMs.map((v) => round(v, 1)),
    rawCpu,
    samples: pushes,
    atDefaultBatch: atDefault,
  };
  let note = `median of ${runs}; raw batched INSERT (${Math.ceil(size / PUSH_BATCH)} statements of ${PUSH_BATCH}, jsonb_to_recordset) ${round(raw, 0)} ms; ${breakdown}`;
  if (ratio > TARGET_RATIO) {
    const parts = [
      { label: 'client-side RxDB upstream', ms: clientMs },
      { label: 'server outside SQL', ms: serverOutsideSql },
      { label: 'server SQL beyond the raw INSERT', ms: sqlMs(typical) - raw },
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
      id: `push.${subject}.cpu-ratio`,
      name: 'push 10k bot writes / raw batched INSERT, CPU time',
      subject,
      value: round(pushCpu / rawCpuMs, 2),
      unit: 'x',
      note:
        `median of ${runs}; push ${cpuParts(typical.cpu)} (client, server${subject === 'pglite' ? ' and PGlite' : ''} share this process), ` +
        `raw INSERT ${cpuParts(medianCpu(rawCpu))}; CPU is what the push costs when the machine is shared`,
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
      note: `one run; ${atDefault.requests} requests, HTTP ${round(atDefault.httpMs, 0)} ms, server SQL ${round(sqlMs(atDefault), 0)} ms; ratio to the raw INSERT at ${PUSH_BATCH} ${round(atDefault.ms / raw, 2)}×`,
    }),
  ];
}
