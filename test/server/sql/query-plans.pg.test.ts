import { afterAll, beforeAll, expect, it } from 'vitest';
import { PULL_SQL, pullParameters, type PullPosition } from '../../../src/server/documents/document-store.ts';
import { DUE_ACTIONS_SQL, retentionPredicate } from '../../../src/server/maintenance/run-server-maintenance.ts';
import { describeOnPostgres, startTestServer, type TestServer } from '../../helpers/sync-server.ts';

/** The tenant filter, the checkpoint range and the maintenance scans are served by indexes. */
await describeOnPostgres('query plans on PostgreSQL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres' });
    // 20 workspaces × 3 collections × 100 documents, actions half pending, half dismissed.
    await server.sql.query(`
      INSERT INTO brain_store_documents (collection, workspace_id, id, doc, deleted, received_at)
      SELECT c, 'w' || (i % 20), c || i,
        jsonb_build_object('id', c || i, 'status', CASE WHEN i % 2 = 0 THEN 'pending' ELSE 'dismissed' END,
          'expires_at', 1000 + i, 'status_at', i, 'created_at', i),
        false, 0
      FROM unnest(ARRAY['brainActions', 'brainSummaries', 'brainInsights']) AS c, generate_series(1, 2000) AS i`);
    await server.sql.query('ANALYZE brain_store_documents');
  });
  afterAll(() => server.close());

  const pull = (workspaces: string[], from: PullPosition) => pullParameters({ collection: 'brainActions', workspaces }, from, 100);

  async function plan(sql: string, params: unknown[]): Promise<string> {
    return server.sql.transaction(async (tx) => {
      // Small tables make a sequential scan cheapest; what matters is that an index *can* serve the query.
      await tx.query('SET LOCAL enable_seqscan = off');
      const rows = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
  }

  it('pull: ordered range scans of the pull index per workspace, tenant filter and snapshot range inside them', async () => {
    // Between batches (target: the current snapshot) and inside one (a fixed target snapshot).
    for (const target of [null, '5:10:7']) {
      const text = await plan(PULL_SQL, pull(['w1', 'w2'], { prev: '3:8:4,6', upto: target, tx: '0', seq: '0' }));
      expect(text).toContain('brain_store_documents_pull');
      expect(text).not.toMatch(/Seq Scan on brain_store_documents/);
      // transactions running in the previous snapshot: an index scan each, tenant filter inside
      // (which index depends on how many rows share an xid: here one INSERT wrote them all)
      expect(text).toMatch(
        /Function Scan on unnest x[\s\S]*Index Cond: \(\(collection = 'brainActions'::text\) AND \(workspace_id = w\.ws\)/,
      );
      // transactions after it: one range from the later of its xmax and the cursor up to the target's
      expect(text).toMatch(
        /Index Cond: \(\(collection = 'brainActions'::text\) AND \(workspace_id = w\.ws\) AND \(ROW\(xid, seq\) > ROW\('8'::xid8, '-1'::bigint\)\) AND \(xid < .*\)\)/,
      );
    }
  });

  /** Buffers the statement touched, from EXPLAIN (ANALYZE, BUFFERS). */
  async function blocksRead(sql: string, params: unknown[]): Promise<number> {
    const rows = await server.sql.query<{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`,
      params,
    );
    const top = rows[0]!['QUERY PLAN'][0].Plan;
    return top['Shared Hit Blocks']! + top['Shared Read Blocks']!;
  }

  it('pull: a caught-up pull, and a page deep inside one big transaction, read a few index pages however big the workspace is', async () => {
    // 30,000 actions of one workspace, pushed in batches of 1,000 (one transaction each).
    for (let batch = 0; batch < 30; batch++) {
      await server.sql.query(
        `INSERT INTO brain_store_documents (collection, workspace_id, id, doc, deleted, received_at)
         SELECT 'brainActions', 'big', 'b' || i, jsonb_build_object('id', 'b' || i), false, 0 FROM generate_series($1::int, $1::int + 999) AS i`,
        [batch * 1000],
      );
    }
    await server.sql.query('ANALYZE brain_store_documents');
    const [{ snapshot }] = (await server.sql.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot')) as [
      { snapshot: string },
    ];
    const [{ xid, seq }] = (await server.sql.query<{ xid: string; seq: string }>(
      `SELECT xid::text AS xid, seq::text AS seq FROM brain_store_documents WHERE workspace_id = 'big' ORDER BY brain_store_documents.seq DESC OFFSET 10 LIMIT 1`,
    )) as [{ xid: string; seq: string }];
    const [middle] = (await server.sql.query<{ xid: string; seq: string }>(
      `SELECT xid::text AS xid, seq::text AS seq FROM brain_store_documents WHERE workspace_id = 'big' ORDER BY brain_store_documents.seq OFFSET 15000 LIMIT 1`,
    )) as [{ xid: string; seq: string }];
    // Caught up: nothing after the snapshot. The scan must start at the snapshot's xmax, not at
    // the start of the workspace (before the fix it walked every entry: 387 blocks).
    expect(await blocksRead(PULL_SQL, pull(['big'], { prev: snapshot, upto: null, tx: '0', seq: '0' }))).toBeLessThan(40);
    // Pages of a first sync, deep in the history and at its end: the cursor bounds the start,
    // and the scan is an ordered index walk that stops after the page (a start computed
    // inside the statement made it a bitmap scan and sort of every row after the cursor).
    for (const [cursorXid, cursorSeq] of [
      [middle.xid, middle.seq],
      [xid, seq],
    ]) {
      expect(await blocksRead(PULL_SQL, pull(['big'], { prev: '1:1:', upto: snapshot, tx: cursorXid!, seq: cursorSeq! }))).toBeLessThan(40);
    }
  });

  it('expiry: the due-actions partial index', async () => {
    const text = await plan(DUE_ACTIONS_SQL, [1500, 1000]);
    expect(text).toContain('brain_store_actions_due');
  });

  it('retention: terminal-actions, created and tombstone indexes', async () => {
    // The predicates the maintenance builds from each collection's declared retention rule.
    expect(await plan(`SELECT id FROM brain_store_documents WHERE ${retentionPredicate('brainActions')}`, [10])).toContain(
      'brain_store_actions_terminal',
    );
    for (const name of ['brainSummaries', 'brainInsights'] as const) {
      expect(await plan(`SELECT id FROM brain_store_documents WHERE ${retentionPredicate(name)}`, [10])).toContain('brain_store_created');
    }
    expect(await plan(`SELECT id FROM brain_store_documents WHERE deleted AND received_at < $1`, [10])).toContain('brain_store_tombstones');
  });
});
