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
});
