/**
 * bulkCreateInsights of 10,000 insights against raw Dexie bulkPut of the same records into
 * a table with the brainInsights indexes, in the same run. Two intermediate tiers show
 * where the overhead goes: RxDB's storage instance bulkWrite (no collection, no
 * validation) and RxDB collection.bulkInsert without the ajv wrapper.
 */
import { Dexie } from 'dexie';
import { fromStorageToDexie, getBooleanIndexes, getDexieStoreSchema } from 'rxdb/plugins/storage-dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createRevision, createRxDatabase, fillWithDefaultSettings, now as rxNow, randomToken, type RxStorage } from 'rxdb';
import { brainInsights, createInsightArgsSchema, type BrainInsightDocument } from '../../src/collections/brain-insights.ts';
import { checkDocument } from '../../src/collections/declare-collection.ts';
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info, judged } from '../lib/bench-module.ts';
import { insightArgs, insightDocuments } from '../lib/fixtures.ts';
import { quiesce, median, round, timed } from '../lib/stats.ts';
import { benchDatabaseName, CLIENT_STORAGES, disposeStore, makeStorage, openStore, type ClientStorageName } from '../lib/storages.ts';

const WORKSPACE = 'w-insights';
type Tier = 'rawDexie' | 'rawDexieRxLayout' | 'storageInstance' | 'collection' | 'store';

/** The brainInsights indexes as a Dexie schema string (primary key first). */
function dexieIndexes(): string {
  const indexes = brainInsights.jsonSchema.indexes ?? [];
  const compound = indexes.map((index) => (Array.isArray(index) ? (index.length > 1 ? `[${index.join('+')}]` : index[0]) : index));
  return ['id', ...compound].join(', ');
}

async function rawDexie(docs: BrainInsightDocument[]): Promise<number> {
  const db = new Dexie(benchDatabaseName('raw-insights'), { indexedDB: new IDBFactory(), IDBKeyRange });
  db.version(1).stores({ insights: dexieIndexes() });
  await db.open();
  await quiesce();
  const { ms } = await timed(() => db.table('insights').bulkPut(docs));
  db.close();
  return ms;
}

/**
 * Diagnostic: raw Dexie bulkPut of the documents as RxDB's Dexie storage stores them
 * (with _deleted/_meta/_rev) into a table with RxDB's index layout (every index prefixed
 * by _deleted and suffixed by id, plus the _meta.lwt indexes).
 */
async function rawDexieRxLayout(docs: BrainInsightDocument[]): Promise<number> {
  const schema = fillWithDefaultSettings(brainInsights.jsonSchema);
  const booleanIndexes = getBooleanIndexes(schema);
  const db = new Dexie(benchDatabaseName('raw-rx-insights'), { indexedDB: new IDBFactory(), IDBKeyRange });
  db.version(1).stores({ docs: getDexieStoreSchema(schema) });
  await db.open();
  const token = randomToken(10);
  await quiesce();
  const { ms } = await timed(() => {
    const lwt = rxNow();
    const rows = docs.map((doc) =>
      fromStorageToDexie(booleanIndexes, { ...doc, _deleted: false, _attachments: {}, _rev: createRevision(token), _meta: { lwt } }),
    );
    return db.table('docs').bulkPut(rows);
  });
  db.close();
  return ms;
}

/** RxDB's storage layer alone: what the Dexie RxStorage adds (revision, _meta, conflict read). */
async function storageInstance(storage: RxStorage<any, any>, docs: BrainInsightDocument[]): Promise<number> {
  const token = randomToken(10);
  const instance = await storage.createStorageInstance<BrainInsightDocument>({
    databaseInstanceToken: token,
    databaseName: benchDatabaseName('si-insights'),
    collectionName: 'insights',
    schema: fillWithDefaultSettings(brainInsights.jsonSchema),
    options: {},
    multiInstance: false,
    devMode: false,
  });
  await instance.findDocumentsById(['touch'], false);
  await quiesce();
  const { ms } = await timed(async () => {
    const lwt = rxNow();
    const rows = docs.map((doc) => ({
      document: { ...doc, _deleted: false, _attachments: {}, _rev: createRevision(token), _meta: { lwt } },
    }));
    const result = await instance.bulkWrite(rows, 'bench');
    if (result.error.length > 0) throw new Error(`storage bulkWrite failed for ${result.error.length} docs`);
  });
  await instance.remove();
  return ms;
}

/** RxDB collection.bulkInsert on an unwrapped storage: collection layer, no ajv. */
async function collection(storage: RxStorage<any, any>, docs: BrainInsightDocument[]): Promise<number> {
  const db = await createRxDatabase({ name: benchDatabaseName('col-insights'), storage, multiInstance: false, eventReduce: true });
  const { insights } = await db.addCollections({ insights: { schema: brainInsights.jsonSchema } });
  await insights.count().exec();
  await quiesce();
  const { ms } = await timed(() => insights.bulkInsert(docs));
  await db.remove();
  return ms;
}

async function store(storageName: ClientStorageName, count: number): Promise<number> {
  const subject = makeStorage(storageName);
  const opened = await openStore(subject, benchDatabaseName('store-insights'));
  await opened.brainInsights.getInsightsByWorkspace({ workspace_id: WORKSPACE }).exec();
  const args = insightArgs(count, WORKSPACE);
  await quiesce();
  const { ms, result } = await timed(() => opened.brainInsights.bulkCreateInsights({ insights: args }));
  if (result.length !== count) throw new Error('bulkCreateInsights returned the wrong number of ids');
  await disposeStore(opened);
  return ms;
}

async function measureTier(tier: Tier, storageName: ClientStorageName, count: number): Promise<number> {
  const docs = insightDocuments(insightArgs(count, WORKSPACE), Date.now());
  switch (tier) {
    case 'rawDexie':
      return rawDexie(docs);
    case 'rawDexieRxLayout':
      return rawDexieRxLayout(docs);
    case 'storageInstance':
      return storageInstance(makeStorage(storageName).storage, docs);
    case 'collection':
      return collection(makeStorage(storageName).storage, docs);
    case 'store':
      return store(storageName, count);
  }
}

/** CPU time of the store's own checks for `count` insights (zod arguments + document invariants). */
function validationMs(count: number): number {
  const args = insightArgs(count, WORKSPACE);
  const start = performance.now();
  for (const arg of args) createInsightArgsSchema.parse(arg);
  for (const doc of insightDocuments(args, Date.now())) if (checkDocument(brainInsights, doc).length) throw new Error('invalid');
  return performance.now() - start;
}

export async function benchBulkInsights(context: BenchContext): Promise<BenchRow[]> {
  const count = context.scale(10_000, 1_000);
  const runs = context.scale(5, 1);
  const rows: BenchRow[] = [];
  for (const storageName of CLIENT_STORAGES) {
    const tiers: Tier[] =
      storageName === 'dexie'
        ? ['rawDexie', 'rawDexieRxLayout', 'storageInstance', 'collection', 'store']
        : ['storageInstance', 'collection', 'store'];
    const samples = Object.fromEntries(tiers.map((tier) => [tier, [] as number[]])) as Record<Tier, number[]>;
    for (const tier of tiers) await measureTier(tier, storageName, 1_000); // warm-up: JIT, module init
    for (let run = 0; run < runs; run++) {
      // Rotate the order so no tier always runs first (after a GC) or last.
      for (let i = 0; i < tiers.length; i++) {
        const tier = tiers[(i + run) % tiers.length]!;
        samples[tier].push(await measureTier(tier, storageName, count));
      }
      context.log(`bulk insights ${storageName} run ${run + 1}/${runs}`);
    }
    const ms = Object.fromEntries(tiers.map((tier) => [tier, round(median(samples[tier]), 1)])) as Record<Tier, number>;
    const validation = round(validationMs(count), 1);
    const details = { count, runs, medianMs: ms, samplesMs: samples, storeValidationCpuMs: validation };
    rows.push(
      info({
        id: `bulk-insights.${storageName}.store`,
        name: `bulkCreateInsights ×${count}`,
        subject: storageName,
        value: ms.store,
        unit: 'ms',
        note: `median of ${runs}`,
        details,
      }),
    );
    if (storageName === 'dexie') {
      rows.push(
        info({
          id: 'bulk-insights.dexie.raw',
          name: `raw Dexie bulkPut ×${count}`,
          subject: 'dexie',
          value: ms.rawDexie,
          unit: 'ms',
          note: `same records, same indexes as brainInsights; median of ${runs}`,
        }),
      );
      const ratio = round(ms.store / ms.rawDexie, 2);
      const breakdown = `raw bulkPut ${ms.rawDexie} ms → same with RxDB's index layout ${ms.rawDexieRxLayout} ms → RxDB storage bulkWrite ${ms.storageInstance} ms → collection.bulkInsert (no ajv) ${ms.collection} ms → store ${ms.store} ms (of which zod+invariants ≈ ${validation} ms CPU)`;
      rows.push(
        judged({
          id: 'bulk-insights.dexie.ratio',
          name: 'bulkCreateInsights / raw Dexie bulkPut',
          subject: 'dexie',
          value: ratio,
          unit: 'x',
          target: { op: '<=', value: 1.5 },
          note: breakdown,
        }),
      );
    } else {
      const ratio = round(ms.store / ms.storageInstance, 2);
      rows.push(
        info({
          id: 'bulk-insights.memory.ratio',
          name: 'bulkCreateInsights / RxDB memory-storage bulkWrite',
          subject: 'memory',
          value: ratio,
          unit: 'x',
          note: `no raw Dexie on memory: baseline is the bare storage instance (${ms.storageInstance} ms); collection.bulkInsert without ajv ${ms.collection} ms; zod+invariants ≈ ${validation} ms CPU`,
        }),
      );
    }
  }
  return rows;
}
