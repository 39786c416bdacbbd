import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../src/server/sql/postgres-database.ts';
import { MIGRATIONS, runMigrations } from '../../src/server/sql/run-migrations.ts';
import { POSTGRES_URL, postgresState } from '../helpers/sync-server.ts';

const postgres = await postgresState();

describe.skipIf(!postgres.available)(`migrations on PostgreSQL${postgres.available ? '' : ' (SKIPPED: PostgreSQL unreachable)'}`, () => {
  it('apply once when three instances start at the same time', async () => {
    const name = `brain_store_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const dbs = await Promise.all(
        [1, 2, 3].map(() => openPostgresDatabase({ connectionString: `${POSTGRES_URL}/${name}`, maxConnections: 1 })),
      );
      const applied = await Promise.all(dbs.map((db) => runMigrations(db)));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((migration) => migration.version));
      expect(await runMigrations(dbs[0]!)).toEqual([]);
      const rows = await dbs[0]!.query<{ version: number }>('SELECT version FROM brain_store_migrations');
      expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
      await Promise.all(dbs.map((db) => db.close()));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
