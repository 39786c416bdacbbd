/**
 * The page side of the browser-store benchmarks: bundled by vite into one script, loaded in
 * Chromium, it runs the Foundation figures on the store's default storage (Dexie over the
 * page's real IndexedDB) and the raw Dexie baselines, in the page, and returns samples.
 * Documents are generated here (same deterministic fixtures as the Node benchmarks), so
 * 100k rows never cross the DevTools protocol.
 */
import { Dexie } from 'dexie';
import { normalizeMangoQuery, prepareQuery, type MangoQuerySelector } from 'rxdb';
import { createBrainStore, replicateBrainStore, type BrainAction, type BrainStore } from '../../src/index.ts';
import { brainActions, type BrainActionDocument } from '../../src/collections/brain-actions.ts';
import { brainInsights } from '../../src/collections/brain-insights.ts';
import { insightArgs, insightDocuments, pendingActions } from '../lib/fixtures.ts';

const WORKSPACE = 'w-bench';
const SEED_CHUNK = 5_000;

/** A collection's schema indexes as a Dexie schema string (primary key first). */
function dexieIndexes(indexes: readonly (string | readonly string[])[] | undefined): string {
  const compound = (indexes ?? []).map((index) =>
    typeof index === 'string' ? index : index.length > 1 ? `[${index.join('+')}]` : index[0]!,
  );
  return ['id', ...compound].join(',');
}

const ACTION_INDEXES = dexieIndexes(brainActions.jsonSchema.indexes);
const INSIGHT_INDEXES = dexieIndexes(brainInsights.jsonSchema.indexes);

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${Date.now()}-${counter++}`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** Lets IndexedDB's background work and pending microtasks finish between samples. */
const pause = (ms = 50) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function dropStore(store: BrainStore): Promise<void> {
  await store.database.remove();
}

/** One sample of each tier for 10k actions and 10k insights. Returns ms per tier. */
async function bulkInsert(size: number): Promise<Record<string, number>> {
  const actions = pendingActions(size, { workspace_id: WORKSPACE, newest: Date.now() - 60_000, seed: 5 });
  const args = insightArgs(size, WORKSPACE);
  const insights = insightDocuments(args, Date.now());
  const result: Record<string, number> = {};

  const raw = new Dexie(uniqueName('raw-bulk'));
  raw.version(1).stores({ actions: ACTION_INDEXES, insights: INSIGHT_INDEXES });
  await raw.open();
  await pause();
  result['rawActions'] = await timed(() => raw.table('actions').bulkPut(actions));
  await pause();
  result['rawInsights'] = await timed(() => raw.table('insights').bulkPut(insights));
  raw.close();
  await Dexie.delete(raw.name);

  const store = await createBrainStore({ name: uniqueName('store-bulk') });
  await store.brainActions.getActionsByPriority({ workspace_id: 'w-touch' }).exec();
  await pause();
  result['storeActions'] = await timed(async () => {
    const { error } = await store.database.brainActions.bulkInsert(actions);
    if (error.length > 0) throw new Error(`bulkInsert: ${JSON.stringify(error[0]).slice(0, 300)}`);
  });
  await pause();
  result['storeInsights'] = await timed(() => store.brainInsights.bulkCreateInsights({ insights: args }));
  await dropStore(store);
  return result;
}

/** Seeds `size` pending actions into a store named `name` (closed afterwards). */
async function seedActions(name: string, size: number, seed: number): Promise<void> {
  const store = await createBrainStore({ name });
  const docs = pendingActions(size, { workspace_id: WORKSPACE, newest: Date.now() - 60_000, seed });
  for (let start = 0; start < docs.length; start += SEED_CHUNK) {
    const { error } = await store.database.brainActions.bulkInsert(docs.slice(start, start + SEED_CHUNK));
    if (error.length > 0) throw new Error(`seed: ${JSON.stringify(error[0]).slice(0, 300)}`);
  }
  await store.close();
}

const RX_INDEX = ['_deleted', 'workspace_id', 'status', 'priority_rank', 'created_desc'];

/** One RxDB storage-instance query for the top 20 (query planner + Dexie storage, no RxQuery/LiveQuery). */
async function storageQueryMs(store: BrainStore): Promise<number> {
  const collection = store.database.brainActions;
  const schema = collection.schema.jsonSchema;
  const query = prepareQuery<BrainActionDocument>(
    schema,
    normalizeMangoQuery<BrainActionDocument>(schema, {
      // RxQuery adds `_deleted` to every selector; the storage-level query must say it itself.
      selector: {
        _deleted: { $eq: false },
        workspace_id: WORKSPACE,
        status: 'pending',
        expires_at: { $gt: Date.now() },
      } as MangoQuerySelector<BrainActionDocument>,
      sort: [{ priority_rank: 'asc' }, { created_desc: 'asc' }, { id: 'asc' }],
      index: RX_INDEX,
      limit: 20,
    }),
  );
  const start = performance.now();
  const result = await collection.storageInstance.query(query);
  const ms = performance.now() - start;
  if (result.documents.length !== 20) throw new Error(`storage query returned ${result.documents.length}`);
  return ms;
}

/**
 * Cold top-20: the store is reopened before every sample (empty RxDB caches), a read of
 * another workspace opens the storage first, then the top-20 exec() is timed. The raw
 * baseline walks the same compound index with Dexie and stops after 20 rows.
 */
async function coldPriority(size: number, runs: number, warmups: number) {
  const name = uniqueName(`store-cold-${size}`);
  const seedMs = await timed(() => seedActions(name, size, 7));
  const samples: number[] = [];
  const storageSamples: number[] = [];
  const warmSamples: number[] = [];
  const singleInstanceSamples: number[] = [];
  let ids: string[] = [];
  for (let i = 0; i < warmups + runs; i++) {
    const store = await createBrainStore({ name });
    await store.brainActions.getActionsByPriority({ workspace_id: 'w-touch' }).exec();
    await pause();
    const storageMs = await storageQueryMs(store);
    await pause();
    const start = performance.now();
    const top = await store.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).exec();
    const ms = performance.now() - start;
    await pause();
    // The same exec again on the same store: RxDB's query cache answers (no IndexedDB read).
    const warmMs = await timed(() => store.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).exec());
    if (i >= warmups) {
      samples.push(ms);
      storageSamples.push(storageMs);
      warmSamples.push(warmMs);
    }
    ids = top.map((action) => action.id);
    await store.close();
    // The same cold read with multiInstance: false (no BroadcastChannel, no leader election).
    const single = await createBrainStore({ name, multiInstance: false });
    await single.brainActions.getActionsByPriority({ workspace_id: 'w-touch' }).exec();
    await pause();
    const singleMs = await timed(() => single.brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).exec());
    if (i >= warmups) singleInstanceSamples.push(singleMs);
    await single.close();
  }
  // Raw: RxDB's Dexie layout is its own; the raw walk uses a plain table with the same index.
  const raw = new Dexie(uniqueName('raw-cold'));
  raw.version(1).stores({ actions: ACTION_INDEXES });
  await raw.table('actions').bulkPut(pendingActions(size, { workspace_id: WORKSPACE, newest: Date.now() - 60_000, seed: 7 }));
  raw.close();
  const rawSamples: number[] = [];
  for (let i = 0; i < warmups + runs; i++) {
    const db = new Dexie(raw.name);
    db.version(1).stores({ actions: ACTION_INDEXES });
    await db.open();
    await pause();
    const ms = await timed(() =>
      db
        .table('actions')
        .where('[workspace_id+status+priority_rank+created_desc]')
        .between([WORKSPACE, 'pending', Dexie.minKey, Dexie.minKey], [WORKSPACE, 'pending', Dexie.maxKey, Dexie.maxKey])
        .limit(20)
        .toArray(),
    );
    if (i >= warmups) rawSamples.push(ms);
    db.close();
  }
  await Dexie.delete(raw.name);
  const cleanup = await createBrainStore({ name });
  await dropStore(cleanup);
  return { samples, storageSamples, warmSamples, singleInstanceSamples, rawSamples, seedMs, count: ids.length };
}

/**
 * Live latency over 10k pending: time from the write call to the `$` emission of the top-20
 * query that shows it — an insert at priority 100, a priority-100 insert's dismissal.
 */
async function liveLatency(size: number, runs: number, warmups: number) {
  const name = uniqueName('store-live');
  await seedActions(name, size, 9);
  const store = await createBrainStore({ name });
  const query = store.brainActions.getActionsByPriority({ workspace_id: WORKSPACE });
  let latest: BrainAction[] = [];
  let emissions = 0;
  let waiter: { test: (list: BrainAction[]) => boolean; resolve: (at: number) => void } | undefined;
  const subscription = query.$.subscribe((list) => {
    latest = list;
    emissions += 1;
    if (waiter?.test(list)) {
      const at = performance.now();
      const done = waiter;
      waiter = undefined;
      done.resolve(at);
    }
  });
  const until = (test: (list: BrainAction[]) => boolean) => new Promise<number>((resolve) => (waiter = { test, resolve }));
  await until((list) => list.length === 20);

  const insert: number[] = [];
  const dismiss: number[] = [];
  const args = (i: number) => ({
    workspace_id: WORKSPACE,
    contact_id: `live-${i}`,
    action_type: 'follow_up' as const,
    priority: 100,
    urgency: 'today' as const,
    reason: 'Live latency probe',
    suggested_message: 'Hello',
  });
  for (let i = 0; i < warmups + runs; i++) {
    await pause(20);
    let id = '';
    const inserted = until((list) => list.some((action) => action.contact_id === `live-${i}`));
    const start = performance.now();
    id = await store.brainActions.createActionRecommendation(args(i));
    const insertAt = await inserted;
    if (i >= warmups) insert.push(insertAt - start);
    await pause(20);
    const gone = until((list) => !list.some((action) => action.id === id));
    const dismissStart = performance.now();
    await store.brainActions.dismissAction({ action_id: id });
    const goneAt = await gone;
    if (i >= warmups) dismiss.push(goneAt - dismissStart);
  }
  subscription.unsubscribe();
  const top = latest.length;
  await dropStore(store);
  return { insert, dismiss, emissions, top };
}

interface RecordedRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/**
 * Initial pull into an empty store (replicateBrainStore, live: false), recording the
 * first-sync and pull requests; then the raw baseline replays exactly those requests with fetch, parses them and
 * bulkPuts their documents into a plain Dexie table with the schema's indexes.
 */
async function initialPull(url: string, token: string, batchSize: number) {
  const store = await createBrainStore({ name: uniqueName('store-pull') });
  await store.brainActions.getActionsByPriority({ workspace_id: 'w-touch' }).exec();
  // A multi-instance store (the browser default) only replicates once this tab leads, and
  // awaitInSync() resolves at once for a follower with nothing pending: wait for leadership
  // first, outside the timed pull, or the pull below would "finish" with 0 documents.
  const leaderStart = performance.now();
  await store.database.waitForLeadership();
  const leadershipMs = performance.now() - leaderStart;
  // Time inside the collection's storage bulkWrite (validation wrapper + Dexie writes of the
  // pulled documents); the rest of the pull is fetch, RxDB replication bookkeeping and its
  // meta instance (an assumed-master copy of every document, in IndexedDB too). The storage
  // below RxDB's collection wrapper: the first sync writes its pages there directly.
  const collectionInstance = store.database.brainActions.storageInstance as unknown as {
    originalStorageInstance?: typeof store.database.brainActions.storageInstance;
  };
  const instance = collectionInstance.originalStorageInstance ?? store.database.brainActions.storageInstance;
  const bulkWrite = instance.bulkWrite.bind(instance);
  let clientWriteMs = 0;
  instance.bulkWrite = async (...args: Parameters<typeof bulkWrite>) => {
    const writeStart = performance.now();
    try {
      return await bulkWrite(...args);
    } finally {
      clientWriteMs += performance.now() - writeStart;
    }
  };
  const requests: RecordedRequest[] = [];
  let httpMs = 0;
  const recording = async (input: RequestInfo | URL, init?: RequestInit) => {
    const target = String(input instanceof Request ? input.url : input);
    // The pulls and, first, the first sync's pages (a new device reads the collection through them).
    if ((target.includes('/pull') || target.includes('/first-sync')) && typeof init?.body === 'string') {
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => (headers[key] = value));
      requests.push({ url: target, body: init.body, headers });
    }
    const start = performance.now();
    const response = await fetch(input, init);
    const text = await response.text();
    httpMs += performance.now() - start;
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  await pause(100);
  const start = performance.now();
  const sync = replicateBrainStore(store, {
    url,
    token,
    live: false,
    pullBatchSize: batchSize,
    collections: ['brainActions'],
    fetch: recording,
  });
  await sync.awaitInSync();
  const count = await store.database.brainActions.count().exec();
  const pullMs = performance.now() - start;
  await sync.cancel();
  await dropStore(store);

  const raw = new Dexie(uniqueName('raw-pull'));
  raw.version(1).stores({ actions: ACTION_INDEXES });
  await raw.open();
  await pause(100);
  let rawFetchMs = 0;
  let rawPutMs = 0;
  let rawDocs = 0;
  for (const request of requests) {
    const fetchStart = performance.now();
    const response = await fetch(request.url, { method: 'POST', body: request.body, headers: request.headers });
    // A first sync's `begin` answer carries no documents.
    const documents = ((await response.json()) as { documents?: unknown[] }).documents ?? [];
    rawFetchMs += performance.now() - fetchStart;
    rawDocs += documents.length;
    if (documents.length > 0) rawPutMs += await timed(() => raw.table('actions').bulkPut(documents));
  }
  raw.close();
  await Dexie.delete(raw.name);
  return { pullMs, count, httpMs, requests: requests.length, rawFetchMs, rawPutMs, rawDocs, leadershipMs, clientWriteMs };
}

const api = { bulkInsert, coldPriority, liveLatency, initialPull };
export type BrowserStoreBenchApi = typeof api;

(globalThis as unknown as { browserStoreBench: BrowserStoreBenchApi }).browserStoreBench = api;
