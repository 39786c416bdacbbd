/**
 * Delivery latency while a write transaction stays open in another database of the same
 * PostgreSQL cluster (issue 10): write on client A → `$` on client B, first with nothing
 * else open (the baseline, same run), then while a foreign transaction holds an xid for
 * 30 s. With the old snapshot-xmin horizon nothing was delivered until it ended.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info, judged } from '../lib/bench-module.ts';
import { loadNote } from '../lib/load-note.ts';
import { percentile, round, settle } from '../lib/stats.ts';
import { benchDatabaseName, disposeStore, makeStorage, openStore } from '../lib/storages.ts';
import type { BenchServer } from '../lib/sync-server.ts';
import { replicateBrainStore, type BrainStore, type BrainSync } from '../../src/index.ts';
import { oldestOpenTransactionSeconds } from '../../src/server/sql/oldest-open-transaction.ts';

const WORKSPACE = 'w-foreign';
const TARGET_P99_MS = 1_000;
const TIMEOUT_MS = 60_000;
const POSTGRES_URL =
  process.env['BRAIN_STORE_BENCH_PG_URL'] ?? process.env['BRAIN_STORE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

async function deliveryMs(from: BrainStore, to: BrainStore, index: number): Promise<number> {
  const contact = `contact-foreign-${index}`;
  const arrived = firstValueFrom(
    to.brainActions.getActionsByWorkspace({ workspace_id: WORKSPACE }).$.pipe(
      filter((list) => list.some((action) => action.contact_id === contact)),
      timeout(TIMEOUT_MS),
    ),
  );
  const t0 = performance.now();
  await from.brainActions.createActionRecommendation({
    workspace_id: WORKSPACE,
    contact_id: contact,
    action_type: 'follow_up',
    priority: 50,
    urgency: 'today',
    reason: 'delivery while a foreign transaction is open',
  });
  await arrived;
  return performance.now() - t0;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function benchForeignTransaction(context: BenchContext, server: BenchServer): Promise<BenchRow[]> {
  const holdMs = context.scale(30_000, 3_000);
  const baselineWrites = context.scale(50, 10);
  const token = await server.token([WORKSPACE]);
  const a = await openStore(makeStorage('memory'), benchDatabaseName('foreign-a'));
  const b = await openStore(makeStorage('memory'), benchDatabaseName('foreign-b'));
  const syncs: BrainSync[] = [a, b].map((store) =>
    replicateBrainStore(store, { url: server.url, token, live: true, collections: ['brainActions'] }),
  );
  const foreignName = `brain_store_bench_foreign_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${foreignName}`);
  const foreign = new pg.Client({ connectionString: `${POSTGRES_URL}/${foreignName}` });
  await foreign.connect();
  try {
    await Promise.all(syncs.map((sync) => sync.awaitInSync()));
    let index = 0;
    const baseline: number[] = [];
    for (let i = 0; i < baselineWrites + 5; i++) {
      const ms = await deliveryMs(a, b, index++);
      if (i >= 5) baseline.push(ms);
      await settle(10);
    }
    await foreign.query('BEGIN');
    await foreign.query('CREATE TABLE held (x int)');
    await foreign.query('SELECT pg_current_xact_id()');
    const opened = performance.now();
    const during: number[] = [];
    while (performance.now() - opened < holdMs) {
      during.push(await deliveryMs(a, b, index++));
      await settle(50);
    }
    const age = await oldestOpenTransactionSeconds(server.sql);
    await foreign.query('ROLLBACK');
    const p50 = round(percentile(during, 50), 2);
    const p99 = round(percentile(during, 99), 2);
    const baseP99 = round(percentile(baseline, 99), 2);
    const note =
      `${during.length} sequential writes A → B (memory storage, live over SSE) while a transaction holding an xid stayed open ` +
      `${round(holdMs / 1000, 0)} s in another database of the cluster (/metrics oldest transaction age read at the end: ${round(age, 1)} s); ` +
      `baseline in the same run with nothing open: p50 ${round(percentile(baseline, 50), 2)} ms, p99 ${baseP99} ms over ${baseline.length} writes` +
      loadNote();
    return [
      judged({
        id: 'foreign-open.postgres.p99',
        name: 'write on A → `$` on B while a foreign transaction is open, p99',
        subject: 'postgres',
        value: p99,
        unit: 'ms',
        target: { op: '<=', value: TARGET_P99_MS },
        note,
        details: { samplesMs: during.map((ms) => round(ms, 2)), baselineMs: baseline.map((ms) => round(ms, 2)), oldestAgeS: age },
      }),
      info({
        id: 'foreign-open.postgres.p50',
        name: 'write on A → `$` on B while a foreign transaction is open, p50',
        subject: 'postgres',
        value: p50,
        unit: 'ms',
        note: `ratio to the same run's baseline p50: ${round(p50 / percentile(baseline, 50), 2)}×`,
      }),
    ];
  } finally {
    await foreign.end().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${foreignName} WITH (FORCE)`).catch(() => undefined);
    for (const sync of syncs) await sync.cancel();
    await disposeStore(a);
    await disposeStore(b);
  }
}
