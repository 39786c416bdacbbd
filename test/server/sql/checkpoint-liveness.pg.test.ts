import pg from 'pg';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BrainStore } from '../../../src/index.ts';
import { createScratchPostgresDatabase, describeOnPostgres, startTestServer, type TestServer } from '../../helpers/sync-server.ts';
import { action, openSyncedStore, sync } from '../../replication/sync-fixtures.ts';

/** How long a delivery may take before the test calls it stalled (the old horizon waited for ever). */
const DELIVERY_MS = 5_000;

/**
 * Issue 10 item 1: a transaction left open elsewhere in the cluster (another database, or a
 * slow brain-store writer) must not hold back rows that have committed, and its own rows
 * must arrive when it commits. Real stores replicating live through two server instances.
 */
await describeOnPostgres('delivery while other transactions stay open (issue 10)', () => {
  let a: TestServer;
  let b: TestServer;
  let foreignDatabase: { url: string; drop: () => Promise<void> };
  let foreign: pg.Client;
  let slow: pg.Client;
  beforeAll(async () => {
    a = await startTestServer({ backend: 'postgres' });
    b = await startTestServer({ backend: 'postgres' });
    foreignDatabase = await createScratchPostgresDatabase();
    foreign = new pg.Client({ connectionString: foreignDatabase.url });
    slow = new pg.Client({ connectionString: a.databaseUrl });
    await Promise.all([foreign.connect(), slow.connect()]);
  });
  afterAll(async () => {
    await foreign.end();
    await slow.end();
    await foreignDatabase.drop();
  });

  /** Resolves when `store` shows the action `id` in `ws`; fails after DELIVERY_MS. */
  function arrives(store: BrainStore, ws: string, id: string): Promise<unknown> {
    return firstValueFrom(
      store.brainActions.getActionsByWorkspace({ workspace_id: ws }).$.pipe(
        filter((list) => list.some((doc) => doc.id === id)),
        timeout(DELIVERY_MS),
      ),
    );
  }

  async function openPair(ws: string) {
    const token = await a.token([ws]);
    const one = await openSyncedStore();
    const two = await openSyncedStore();
    const syncs = [sync(one, { url: a.url, token }), sync(two, { url: b.url, token })];
    await Promise.all(syncs.map((s) => s.awaitInSync()));
    return { one, two, syncs };
  }

  it('a write transaction held open in another database of the cluster holds back nothing; /metrics shows its age', async () => {
    const ws = 'foreign-open';
    const { one, two, syncs } = await openPair(ws);
    await foreign.query('BEGIN');
    await foreign.query('CREATE TABLE held (x int)');
    const xid = (await foreign.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid;
    const opened = Date.now();

    // Both directions, through both instances, while it stays open.
    for (let round = 0; round < 6; round++) {
      const [from, to] = round % 2 ? [two, one] : [one, two];
      const id = await from.brainActions.createActionRecommendation(action(ws));
      await arrives(to, ws, id);
    }
    // Held open for a few seconds (the benchmark holds it 30 s): delivery still flows.
    while (Date.now() - opened < 2_000) await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await one.brainActions.createActionRecommendation(action(ws));
    await arrives(two, ws, late);

    const operator = await a.token([ws], 3_600, { role: 'operator', subject: 'ops' });
    const metrics = await (await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${operator}` } })).text();
    const age = Number(/^brain_store_oldest_transaction_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(age).toBeGreaterThanOrEqual(2);
    // Everything above happened inside the one foreign transaction.
    expect((await foreign.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid).toBe(xid);
    await foreign.query('ROLLBACK');
    for (const s of syncs) await s.cancel();
  });

  it('a brain-store write transaction held open: the rows after it arrive at once, its own when it commits, each once', async () => {
    const ws = 'slow-writer';
    const { one, two, syncs } = await openPair(ws);
    // A slow server writing a document in a transaction that stays open, as push-documents does.
    const slowId = `slow-${Date.now()}`;
    await slow.query('BEGIN');
    await slow.query(
      `INSERT INTO brain_store_documents (collection, workspace_id, id, doc, deleted, received_at)
       SELECT 'brainActions', $1, $2, jsonb_set($3::jsonb, '{id}', to_jsonb($2::text)), false, 0`,
      [ws, slowId, JSON.stringify(await wireAction(one, ws))],
    );
    const during: string[] = [];
    for (let round = 0; round < 4; round++) {
      const id = await one.brainActions.createActionRecommendation(action(ws));
      await arrives(two, ws, id);
      during.push(id);
    }
    await slow.query(`SELECT pg_notify('brain_store_changes', $1)`, [JSON.stringify({ c: 'brainActions', w: [ws] })]);
    await slow.query('COMMIT');
    await arrives(two, ws, slowId);
    await arrives(one, ws, slowId);
    const held = await two.brainActions.getActionsByWorkspace({ workspace_id: ws }).exec();
    expect(held.map((doc) => doc.id).sort()).toEqual([...during, slowId].sort());
    for (const s of syncs) await s.cancel();
  });
});

/** A valid stored action in `ws` (the wire form of one made by a store, then removed from it). */
async function wireAction(store: BrainStore, ws: string): Promise<Record<string, unknown>> {
  const id = await store.brainActions.createActionRecommendation(action(ws));
  const doc = await store.database.collections['brainActions'].findOne(id).exec();
  const json = doc!.toMutableJSON() as Record<string, unknown>;
  await doc!.remove();
  delete json['_meta'];
  delete json['_rev'];
  delete json['_attachments'];
  delete json['_deleted'];
  return json;
}
