import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../../src/server/sql/postgres-database.ts';
import type { SqlDatabase } from '../../../src/server/sql/sql-database.ts';
import { describeNeeding } from '../../helpers/skip-or-fail.ts';
import { pgbouncerState, startPgBouncer, type PgBouncer } from '../../helpers/pgbouncer.ts';
import { createScratchPostgresDatabase, describeOnPostgres, startTestServer, type TestBackend } from '../../helpers/sync-server.ts';
import { action, client } from '../fixtures.ts';

/**
 * Issue 23: a statement of the server's cannot run for minutes. Direct, the timeout is a
 * startup setting of every pooled connection; through PgBouncer in transaction mode (which
 * refuses the `options` startup parameter: "unsupported startup parameter: options" from
 * Debian's 1.18) it is SET LOCAL at the start of each transaction, so it never leaks to
 * another client of the pooler's backend.
 */
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops.reverse()) await drop();
});

async function expectCancelled(run: Promise<unknown>, withinMs: number): Promise<void> {
  const started = Date.now();
  await expect(run).rejects.toMatchObject({ code: '57014', message: expect.stringMatching(/statement timeout/) });
  expect(Date.now() - started).toBeLessThan(withinMs);
}

async function expectBounded(db: SqlDatabase): Promise<void> {
  // A sleep of 5 s is cancelled at 300 ms, lone or inside a transaction.
  await expectCancelled(db.query('SELECT pg_sleep(5)'), 3_000);
  await expectCancelled(
    db.transaction((tx) => tx.query('SELECT pg_sleep(5)')),
    3_000,
  );
  // Statements within it are unaffected, and the connections cancelled are usable again.
  expect(await db.query<{ ok: number }>('SELECT 1 AS ok FROM pg_sleep(0.05)')).toEqual([{ ok: 1 }]);
  expect(await db.transaction((tx) => tx.query<{ statement_timeout: string }>('SHOW statement_timeout'))).toEqual([
    { statement_timeout: '300ms' },
  ]);
}

await describeOnPostgres('statement timeout on PostgreSQL (issue 23)', () => {
  it('direct: every connection of the pool cancels a statement past the timeout', async () => {
    const scratch = await createScratchPostgresDatabase();
    drops.push(scratch.drop);
    const db = await openPostgresDatabase({ connectionString: scratch.url, statementTimeoutMs: 300, maxConnections: 2 });
    drops.push(() => db.close());
    await expectBounded(db);
    // 0 turns it off: PostgreSQL's own default (none) stays.
    const unbounded = await openPostgresDatabase({ connectionString: scratch.url, statementTimeoutMs: 0 });
    drops.push(() => unbounded.close());
    expect(await unbounded.query<{ statement_timeout: string }>('SHOW statement_timeout')).toEqual([{ statement_timeout: '0' }]);
  });

  describeNeeding(pgbouncerState(), 'PgBouncer tests', 'through PgBouncer in transaction mode', () => {
    it('SET LOCAL in each transaction: cancelled past the timeout, and nothing left on the backend for the next client', async () => {
      const scratch = await createScratchPostgresDatabase();
      drops.push(scratch.drop);
      const bouncer: PgBouncer = await startPgBouncer();
      drops.push(() => bouncer.stop());
      const url = bouncer.urlOf(new URL(scratch.url).pathname.slice(1));
      const db = await openPostgresDatabase({ connectionString: url, pooled: true, statementTimeoutMs: 300, maxConnections: 2 });
      drops.push(() => db.close());
      await expectBounded(db);
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        expect((await other.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '0' }]);
      } finally {
        await other.end();
      }
    });
  });

  const backends: TestBackend[] = pgbouncerState().available ? ['postgres', 'pgbouncer'] : ['postgres'];
  describe.each(backends)('a request of a server (%s)', (backend) => {
    it('held past the timeout is answered 503 with a clear message and Retry-After; the next one is served', async () => {
      const server = await startTestServer({ backend, statementTimeoutMs: 500 });
      drops.push(() => server.close());
      const token = await server.token(['stmt-timeout']);
      const doc = action('stmt-timeout');
      expect((await client(server.url, token).push('brainActions', [{ newDocumentState: doc }])).status).toBe(200);
      // Another session holds the table: the pull waits on its lock, and the wait counts.
      const holder = new pg.Client({ connectionString: server.databaseUrl! });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE brain_store_documents IN ACCESS EXCLUSIVE MODE');
        const started = Date.now();
        const held = await client(server.url, token).pull('brainActions', null);
        expect(Date.now() - started).toBeLessThan(4_000);
        expect(held.status).toBe(503);
        expect(held.headers.get('retry-after')).toBe('5');
        expect(held.body).toEqual({ error: { code: 'STORAGE', message: expect.stringMatching(/statement timeout and was cancelled/) } });
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        await holder.end();
      }
      const served = await client(server.url, token).pull('brainActions', null);
      expect(served.status).toBe(200);
      expect(served.body.documents.map((document) => document['id'])).toEqual([doc['id']]);
    });
  });
});
