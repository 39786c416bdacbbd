/**
 * Initial pull of 100k actions into an empty client (memory storage for the sync group,
 * brain-store's SQLite storage for the storage group), against, in the same run, a raw
 * SELECT of the same rows with the server's own pull statement (same pages) plus a raw
 * insert of the same documents: a bulkInsert into memory storage, or raw better-sqlite3
 * inserts (one transaction per page) for SQLite.
 */
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info, judged } from '../lib/bench-module.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { MeteredFetch } from '../lib/metered-fetch.ts';
import { median, medianRun, quiesce, round } from '../lib/stats.ts';
import { StorageMeter } from '../lib/storage-meter.ts';
import { meteredMemoryStorage } from '../lib/metered-memory-storage.ts';
import { benchDatabaseName, disposeStore, makeStorage, openStore } from '../lib/storages.ts';
import { serverRouteTime, type BenchServer } from '../lib/sync-server.ts';
import { replicateBrainStore } from '../../src/index.ts';
import { insertRows, selectAllPages } from './server-rows.ts';
import { loadNote } from '../lib/load-note.ts';
import { rawInsertMs } from '../storage/insert-vs-raw.ts';
import { sqliteFile } from '../storage/sqlite-store.ts';
import { getRxStorageSQLite } from '../../src/node/index.ts';
import type { BrainActionDocument } from '../../src/collections/brain-actions.ts';
import type { BrainStore } from '../../src/index.ts';

/** The client storage the pull writes into. */
export type PullClient = 'memory' | 'sqlite';

const WORKSPACE = 'w-pull';
const COLLECTION = 'brainActions';
const PULL_BATCH = 5_000;
const TARGET_RATIO = 1.5;
const TARGET_DOCS_PER_S = 25_000;
const ROUTE = '/sync/:collection/pull';

interface PullSample {
  readonly ms: number;
  readonly httpMs: number;
  readonly requests: number;
  /** The server's own time in its pull handlers (its /metrics latency sum). */
  readonly serverMs: number;
  readonly serverSqlMs: number;
  /** bulkWrite calls into the client's storage (validation + categorisation). */
  readonly clientWriteMs: number;
  /** The memory storage's deferred index maintenance. */
  readonly clientIndexMs: number;
  /** RxDB replication's meta instance (an assumed-master copy of every pulled document): bulkWrite + index maintenance. */
  readonly metaMs: number;
  readonly metaDocs: number;
}

export async function benchInitialPull(context: BenchContext, server: BenchServer, client: PullClient = 'memory'): Promise<BenchRow[]> {
  const size = context.scale(100_000, 5_000);
  // One run per backend: 100 batches make each figure an average already, and a run
  // (raw SELECT + raw insert + pull) takes about a minute on a loaded 2-core machine.
  const runs = Number(process.env['BENCH_SYNC_PULL_RUNS'] ?? 1);
  // The memory-client rows keep their ids (reports merge on them); SQLite ones are `pull-sqlite.<backend>.…`.
  const subject = client === 'memory' ? server.backend : `sqlite/${server.backend}`;
  const prefix = client === 'memory' ? `pull.${server.backend}` : `pull-sqlite.${server.backend}`;
  const docs = pendingActions(size, { workspace_id: WORKSPACE, newest: Date.now() - 60_000, seed: 11 });
  const seedStart = performance.now();
  await insertRows(server.sql, COLLECTION, docs, 5_000);
  await server.sql.query('ANALYZE brain_store_documents');
  context.log(`pull ${subject}: seeded ${size} rows in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  const token = await server.token([WORKSPACE]);

  const selectMs: number[] = [];
  const insertMs: number[] = [];
  const insertIndexMs: number[] = [];
  const pulls: PullSample[] = [];
  for (let run = 0; run < runs; run++) {
    // Raw SELECT: the server's pull statement, page by page, straight on the database.
    await quiesce();
    let start = performance.now();
    const selected = await selectAllPages(server.sql, COLLECTION, WORKSPACE, PULL_BATCH);
    selectMs.push(performance.now() - start);
    if (selected.rows.length !== size) throw new Error(`raw select read ${selected.rows.length} rows, expected ${size}`);

    const plain = selected.rows.map((row) => row.doc as never);
    selected.rows.length = 0;
    if (client === 'sqlite') {
      // Raw insert: better-sqlite3 into a table with native indexes, one transaction per page.
      const docs = plain as readonly BrainActionDocument[];
      await quiesce();
      insertMs.push(rawInsertMs(docs, PULL_BATCH));
      insertIndexMs.push(0);
      plain.length = 0;
    } else {
      // Raw insert: the same documents into an empty memory-storage store (same validation wrapper), in pull-sized batches.
      const rawStore = await openStore(makeStorage('memory'), benchDatabaseName('pull-raw'));
      const rawMeter = new StorageMeter(rawStore.database.brainActions);
      await quiesce();
      start = performance.now();
      for (let offset = 0; offset < plain.length; offset += PULL_BATCH) {
        const result = await rawStore.database.brainActions.bulkInsert(plain.slice(offset, offset + PULL_BATCH));
        if (result.error.length > 0) throw new Error(`raw insert failed: ${JSON.stringify(result.error[0]).slice(0, 300)}`);
      }
      await rawStore.database.brainActions.count().exec(); // the deferred index maintenance finishes inside the timing
      insertMs.push(performance.now() - start);
      insertIndexMs.push(rawMeter.indexMs);
      rawMeter.stop();
      await disposeStore(rawStore);
      plain.length = 0;
    }

    // The pull itself: replicateBrainStore into an empty store, once (live: false).
    const file = client === 'sqlite' ? sqliteFile('pull') : undefined;
    const metered = meteredMemoryStorage(file ? getRxStorageSQLite({ path: file.path }) : undefined);
    const store = await openStore({ name: 'memory', storage: metered.storage }, benchDatabaseName('pull'));
    const writes = new StorageMeter(store.database.brainActions);
    const fetcher = new MeteredFetch();
    await quiesce();
    const serverBefore = await serverRouteTime(server, ROUTE);
    server.meter.reset();
    start = performance.now();
    const sync = replicateBrainStore(store, {
      url: server.url,
      token,
      live: false,
      pullBatchSize: PULL_BATCH,
      collections: [COLLECTION],
      fetch: fetcher.fetch,
    });
    await sync.awaitInSync();
    const count = await store.database.brainActions.count().exec();
    const ms = performance.now() - start;
    const http = fetcher.total('pull');
    const serverAfter = await serverRouteTime(server, ROUTE);
    const meta = metered.replicationMetaCost();
    pulls.push({
      ms,
      httpMs: http.ms,
      requests: http.requests,
      serverMs: serverAfter.ms - serverBefore.ms,
      serverSqlMs: server.meter.queryMs,
      clientWriteMs: writes.writeMs,
      clientIndexMs: writes.indexMs,
      metaMs: meta.writeMs + meta.indexMs,
      metaDocs: meta.docsWritten,
    });
    writes.stop();
    await sync.cancel();
    await closePullStore(store, file);
    if (count !== size) throw new Error(`the pull stored ${count} documents, expected ${size}`);
    context.log(
      `pull ${subject} (${client} client) run ${run + 1}: pull ${round(ms, 0)} ms, raw select ${round(selectMs.at(-1)!, 0)} ms + raw insert ${round(insertMs.at(-1)!, 0)} ms`,
    );
  }

  // The median pull run: its time is the figure, its parts the breakdown.
  const typical = medianRun(pulls);
  const pullMs = typical.ms;
  const select = median(selectMs);
  const insert = median(insertMs);
  const ratio = round(pullMs / (select + insert), 2);
  const docsPerS = Math.round(size / (pullMs / 1000));
  const otherMs = typical.ms - typical.serverMs - typical.clientWriteMs - typical.clientIndexMs - typical.metaMs;
  const breakdown =
    `pull ${round(typical.ms, 0)} ms (${typical.requests} requests) = server pull handlers ${round(typical.serverMs, 0)} ms ` +
    `(SQL ${round(typical.serverSqlMs, 0)} ms${server.backend === 'postgres' ? ', waiting on PostgreSQL' : ', PGlite on this thread'}; the rest token check, JSON.stringify of pages) ` +
    `+ client storage bulkWrite ${round(typical.clientWriteMs, 0)} ms (ajv + invariants${client === 'sqlite' ? ' + index keys + the SQLite transactions' : ''})` +
    (client === 'memory' ? ` + memory-storage index maintenance ${round(typical.clientIndexMs, 0)} ms ` : ' ') +
    `+ RxDB replication meta instance ${round(typical.metaMs, 0)} ms (${typical.metaDocs} assumed-master rows written, with their index maintenance) ` +
    `+ ${round(otherMs, 0)} ms other (loopback HTTP, undici JSON parse, RxDB replication bookkeeping, GC)`;
  const indexShare = median(insertIndexMs);
  const rawInsertLabel =
    client === 'sqlite'
      ? `raw better-sqlite3 inserts (native indexes, one transaction per page, WAL, synchronous FULL) ${round(insert, 0)} ms`
      : `raw bulkInsert into memory storage ${round(insert, 0)} ms (of which index maintenance ${round(indexShare, 0)} ms)`;
  const baseline = `raw SELECT (server pull statement, ${Math.ceil(size / PULL_BATCH)} pages of ${PULL_BATCH}) ${round(select, 0)} ms + ${rawInsertLabel}`;
  const details = {
    size,
    runs,
    batchSize: PULL_BATCH,
    insertIndexMs: insertIndexMs.map((v) => round(v, 1)),
    pullMs: pulls.map((p) => round(p.ms, 1)),
    selectMs: selectMs.map((v) => round(v, 1)),
    insertMs: insertMs.map((v) => round(v, 1)),
    breakdown: pulls,
    serverSql: server.meter.snapshot(),
  };
  const ratioNote =
    `median of ${runs}; ${baseline}; ${breakdown}` +
    (ratio > TARGET_RATIO ? `; over target: ${missReason(typical, select, insert)}` : '') +
    loadNote();
  const rateNote =
    `${size} documents in ${round(pullMs / 1000, 2)} s (median of ${runs}), batchSize ${PULL_BATCH}` +
    (docsPerS < TARGET_DOCS_PER_S
      ? `; under target: ${client === 'sqlite' ? missReason(typical, select, insert) : rateReason(size, insert, indexShare, typical)}`
      : '') +
    loadNote();
  return [
    judged({
      id: `${prefix}.ratio`,
      name: 'initial pull 100k / (raw SELECT + raw insert)',
      subject,
      value: ratio,
      unit: 'x',
      target: { op: '<=', value: TARGET_RATIO },
      note: ratioNote,
      details,
    }),
    judged({
      id: `${prefix}.docs-per-s`,
      name: `initial pull 100k into ${client === 'sqlite' ? 'a SQLite store' : 'memory storage'}`,
      subject,
      value: docsPerS,
      unit: 'docs/s',
      target: { op: '>=', value: TARGET_DOCS_PER_S },
      note: rateNote,
    }),
    info({
      id: `${prefix}.ms`,
      name: 'initial pull 100k (replicateBrainStore, live: false)',
      subject,
      value: round(pullMs, 0),
      unit: 'ms',
      note: breakdown,
    }),
    info({
      id: `${prefix}.raw-select`,
      name: 'raw SELECT of the same 100k rows',
      subject,
      value: round(select, 0),
      unit: 'ms',
      note: `the server's pull statement run directly, page by page (${PULL_BATCH} per page)`,
    }),
    info({
      id: `${prefix}.raw-insert`,
      name:
        client === 'sqlite'
          ? 'raw better-sqlite3 insert of the same 100k docs'
          : 'raw bulkInsert of the same 100k docs into memory storage',
      subject,
      value: round(insert, 0),
      unit: 'ms',
      note:
        client === 'sqlite'
          ? `one column per field + the JSON, the store's indexes as native SQL indexes, one transaction per ${PULL_BATCH} rows`
          : `collection.bulkInsert in batches of ${PULL_BATCH} (same ajv + invariant validation as the pull's writes)`,
    }),
  ];
}

/** Names the components of the pull that exceed their raw counterparts. */
function missReason(sample: PullSample, select: number, insert: number): string {
  const parts = [
    { label: 'server beyond the raw SELECT (token check, JSON.stringify of pages)', ms: sample.serverMs - select },
    { label: 'client storage beyond the raw insert', ms: sample.clientWriteMs + sample.clientIndexMs - insert },
    { label: "RxDB replication's meta instance writes (an assumed-master copy of every document)", ms: sample.metaMs },
    {
      label: 'transport + other RxDB replication work (loopback HTTP, response parse, GC)',
      ms: sample.ms - sample.serverMs - sample.clientWriteMs - sample.clientIndexMs - sample.metaMs,
    },
  ].sort((a, b) => b.ms - a.ms);
  return parts.map((part) => `${part.label} ${part.ms >= 0 ? '+' : ''}${round(part.ms, 0)} ms`).join(', ');
}

/** Why the docs/s figure is low: usually the client storage itself, which the raw insert shows. */
function rateReason(size: number, insert: number, indexMs: number, sample: PullSample): string {
  const rawRate = Math.round(size / (insert / 1000));
  return (
    `the raw bulkInsert alone reaches only ${rawRate} docs/s: RxDB's memory storage keeps each of the collection's 8 sorted index arrays ` +
    `(7 schema indexes + primary) by merging every write into a new full-size array, so each ${PULL_BATCH}-document write costs O(collection size) ` +
    `(${round(indexMs, 0)} ms of index maintenance for ${Math.ceil(size / PULL_BATCH)} writes); the pull adds ${round(sample.ms - insert, 0)} ms on top ` +
    `(server ${round(sample.serverMs, 0)} ms, of which SQL ${round(sample.serverSqlMs, 0)} ms)`
  );
}

/** Memory stores are removed (their data lives in the process); a SQLite store is closed and its folder deleted. */
async function closePullStore(store: BrainStore, file: { dispose(): void } | undefined): Promise<void> {
  if (!file) return disposeStore(store);
  await store.close();
  file.dispose();
}
