import { expect, it } from 'vitest';
import { openPostgresDatabase } from '../../../src/server/sql/postgres-database.ts';
import { MIGRATIONS, runMigrations } from '../../../src/server/sql/run-migrations.ts';
import { createScratchPostgresDatabase, describeOnPostgres } from '../../helpers/sync-server.ts';

await describeOnPostgres('migrations on PostgreSQL', () => {
  it('apply once when three instances start at the same time', async () => {
    const scratch = await createScratchPostgresDatabase();
    try {
      const dbs = await Promise.all([1, 2, 3].map(() => openPostgresDatabase({ connectionString: scratch.url, maxConnections: 1 })));
      const applied = await Promise.all(dbs.map((db) => runMigrations(db)));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((migration) => migration.version));
      expect(await runMigrations(dbs[0]!)).toEqual([]);
      const rows = await dbs[0]!.query<{ version: number }>('SELECT version FROM brain_store_migrations');
      expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
      await Promise.all(dbs.map((db) => db.close()));
    } finally {
      await scratch.drop();
    }
  });

  it('3 (snooze, issue 20): stored actions of schema version 0 get snoozed_until 0, not re-stamped (no re-delivery); others untouched', async () => {
    const scratch = await createScratchPostgresDatabase();
    const db = await openPostgresDatabase({ connectionString: scratch.url, maxConnections: 1 });
    try {
      await runMigrations(db);
      // A database as the previous release left it: migration 3 not applied, version-0 actions.
      await db.query('DELETE FROM brain_store_migrations WHERE version = 3');
      const action = { id: 'a1', workspace_id: 'w1', status: 'pending', expires_at: 1 };
      const snoozed = { ...action, id: 'a2', snoozed_until: 5, snoozed_at: 1 };
      const summary = { id: 's1', workspace_id: 'w1', created_at: 1 };
      for (const [collection, doc] of [
        ['brainActions', action],
        ['brainActions', snoozed],
        ['brainSummaries', summary],
      ] as const) {
        await db.query(
          `INSERT INTO brain_store_documents (collection, workspace_id, id, doc, deleted, xid, seq, received_at)
           VALUES ($1, 'w1', $2, $3::jsonb, false, '0'::xid8, 0, 0)`,
          [collection, doc.id, JSON.stringify(doc)],
        );
      }
      const before = await db.query<{ id: string; xid: string; seq: string }>(
        'SELECT id, xid::text, seq::text FROM brain_store_documents ORDER BY id',
      );
      expect(await runMigrations(db)).toEqual([3]);
      const after = await db.query<{ id: string; xid: string; seq: string; doc: Record<string, unknown> }>(
        'SELECT id, xid::text, seq::text, doc FROM brain_store_documents ORDER BY id',
      );
      expect(after.map(({ id, xid, seq }) => ({ id, xid, seq }))).toEqual(before);
      expect(after.map((row) => row.doc)).toEqual([{ ...action, snoozed_until: 0 }, snoozed, summary]);
      // The trigger is on again: the next write is stamped.
      await db.query(`UPDATE brain_store_documents SET doc = doc || '{"status": "dismissed"}'::jsonb WHERE id = 'a1'`);
      const [stamped] = await db.query<{ seq: string }>(`SELECT seq::text FROM brain_store_documents WHERE id = 'a1'`);
      expect(stamped!.seq).not.toBe(before[0]!.seq);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });
});
