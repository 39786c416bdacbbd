/**
 * The bot's first sync (issue 19.4): 100k actions into an empty SQLite store through the
 * real sync server (replicateBrainStore, live: false — the first sync, then the pull from its
 * checkpoint), against a raw baseline in the same process: the same first-sync and pull
 * requests replayed with fetch and JSON.parse, their documents inserted with raw
 * better-sqlite3 (native indexes, one transaction per page, WAL, synchronous FULL).
 */
import type { BenchContext } from '../lib/bench-module.ts';
import { median, medianRun, quiesce, round } from '../lib/stats.ts';
import type { BenchServer } from '../lib/sync-server.ts';
import { openSqliteStore, sqliteFile } from '../storage/sqlite-store.ts';
import { rawInsertMs } from '../storage/insert-vs-raw.ts';
import { replicateBrainStore } from '../../src/index.ts';
import type { BrainActionDocument } from '../../src/collections/brain-actions.ts';
import type { FetchLike } from '../../src/replication/sync-http-client.ts';
import { storageBelowCollection } from '../../src/replication/first-sync/write-first-sync-page.ts';
import { RxStorageInstanceSQLite } from '../../src/storage/sqlite/rx-storage-instance-sqlite.ts';
import { patchMethod } from '../lib/patch-method.ts';

interface RecordedRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** A fetch that records the first-sync and pull requests and the time spent in them (to the body read). */
export class RecordingFetch {
  readonly requests: RecordedRequest[] = [];
  ms = 0;
  readonly fetch: FetchLike = async (input, init) => {
    const target = String(input);
    const recorded = /\/(pull|first-sync)$/.test(new URL(target).pathname) && typeof init?.body === 'string';
    if (recorded) {
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => (headers[key] = value));
      this.requests.push({ url: target, body: init.body as string, headers });
    }
    const start = performance.now();
    const response = await fetch(input, init);
    if (!recorded) return response;
    const text = await response.text();
    this.ms += performance.now() - start;
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

export interface SqlitePullSample {
  readonly ms: number;
  readonly count: number;
  readonly requests: number;
  /** In fetch, to the body read (the first sync fetches its next page while it stores one). */
  readonly httpMs: number;
  /** In the collection's storage bulkWrite (below RxDB's collection wrapper): validation + the SQLite instance. */
  readonly writeMs: number;
  /** Of which in the SQLite instance: index keys, JSON text, the inserts and the commit. */
  readonly sqliteMs: number;
  /** The raw baseline: the same requests' fetch + JSON.parse, then the raw inserts. */
  readonly rawFetchMs: number;
  readonly rawInsertMs: number;
  readonly rawDocs: number;
}

/** One pull into a fresh SQLite file, then the raw baseline over the same requests. */
async function pullOnce(server: BenchServer, token: string, pageSize: number): Promise<SqlitePullSample> {
  const file = sqliteFile('first-sync');
  const recording = new RecordingFetch();
  let ms: number;
  let count: number;
  let writeMs = 0;
  let sqliteMs = 0;
  try {
    const timedWrite = <T extends { bulkWrite: (...args: never[]) => Promise<unknown> }>(
      target: T,
      add: (ms: number) => void,
      only?: (self: T) => boolean,
    ) => {
      const original = target.bulkWrite;
      return patchMethod(target, 'bulkWrite', async function (this: T, ...args: never[]) {
        if (only && !only(this)) return original.apply(this, args);
        const begin = performance.now();
        try {
          return await original.apply(this, args);
        } finally {
          add(performance.now() - begin);
        }
      });
    };
    // The SQLite instance's method is patched before the store opens: RxDB's validation wrapper binds it then.
    const restoreSqlite = timedWrite(
      RxStorageInstanceSQLite.prototype,
      (spent) => (sqliteMs += spent),
      (self) => self.collectionName === 'brainActions',
    );
    const store = await openSqliteStore(file.path);
    const below = storageBelowCollection(store.database.brainActions as never);
    const restore = [restoreSqlite, timedWrite(below, (spent) => (writeMs += spent))];
    await quiesce();
    const start = performance.now();
    const sync = replicateBrainStore(store, {
      url: server.url,
      token,
      live: false,
      pullBatchSize: pageSize,
      collections: ['brainActions'],
      fetch: recording.fetch,
    });
    await sync.awaitInSync();
    count = await store.database.brainActions.count().exec();
    ms = performance.now() - start;
    for (const undo of restore) undo();
    await sync.cancel();
    await store.close();
  } finally {
    file.dispose();
  }

  await quiesce();
  let rawFetchMs = 0;
  const pages: BrainActionDocument[][] = [];
  for (const request of recording.requests) {
    const start = performance.now();
    const response = await fetch(request.url, { method: 'POST', body: request.body, headers: request.headers });
    // A first sync's `begin` answer carries no documents.
    const documents = ((await response.json()) as { documents?: BrainActionDocument[] }).documents ?? [];
    rawFetchMs += performance.now() - start;
    if (documents.length > 0) pages.push(documents);
  }
  // The head part's documents come again in the rest: the raw table keeps the first copy.
  const seen = new Set<string>();
  const docs = pages.flat().filter((doc) => !seen.has(doc.id) && seen.add(doc.id));
  await quiesce();
  // One transaction per page of the pull's size, as the first sync writes.
  const insertMs = rawInsertMs(docs, pageSize);
  return {
    ms,
    count,
    requests: recording.requests.length,
    httpMs: recording.ms,
    writeMs,
    sqliteMs,
    rawFetchMs,
    rawInsertMs: insertMs,
    rawDocs: docs.length,
  };
}

export interface SqlitePullResult {
  readonly typical: SqlitePullSample;
  readonly samples: readonly SqlitePullSample[];
  readonly ratio: number;
  readonly docsPerS: number;
  readonly rawDocsPerS: number;
}

export async function measureSqlitePull(
  server: BenchServer,
  token: string,
  options: { size: number; runs: number; pageSize: number },
  context: BenchContext,
): Promise<SqlitePullResult> {
  const samples: SqlitePullSample[] = [];
  for (let run = 0; run < options.runs; run++) {
    const sample = await pullOnce(server, token, options.pageSize);
    if (sample.count !== options.size) throw new Error(`the first sync stored ${sample.count} documents, expected ${options.size}`);
    samples.push(sample);
    context.log(
      `pull sqlite ${run + 1}/${options.runs}: ${round(sample.ms, 0)} ms; raw fetch ${round(sample.rawFetchMs, 0)} ms + raw insert ${round(sample.rawInsertMs, 0)} ms`,
    );
  }
  const typical = medianRun(samples);
  const raw = median(samples.map((sample) => sample.rawFetchMs + sample.rawInsertMs));
  return {
    typical,
    samples,
    ratio: round(typical.ms / raw, 2),
    docsPerS: Math.round(options.size / (typical.ms / 1000)),
    rawDocsPerS: Math.round(options.size / (raw / 1000)),
  };
}
