import { BrainStoreError } from '../../errors/brain-store-error.ts';
import { MIGRATIONS } from './run-migrations.ts';
import type { SqlExecutor } from './sql-database.ts';

/** The newest migration this server knows. */
export const LATEST_MIGRATION = Math.max(...MIGRATIONS.map((migration) => migration.version));

export interface MigrationStatus {
  readonly applied: readonly { readonly version: number; readonly name: string; readonly appliedAt: string }[];
  readonly pending: readonly { readonly version: number; readonly name: string }[];
}

/** Which migrations the database has and which it lacks (`brain-store migrate --status`). */
export async function migrationStatus(db: SqlExecutor): Promise<MigrationStatus> {
  const exists = await db.query<{ present: string | null }>("SELECT to_regclass('brain_store_migrations')::text AS present");
  const rows =
    exists[0]?.present == null
      ? []
      : await db.query<{ version: number; name: string; applied_at: Date | string }>(
          'SELECT version, name, applied_at FROM brain_store_migrations ORDER BY version',
        );
  const done = new Set(rows.map((row) => Number(row.version)));
  return {
    applied: rows.map((row) => ({ version: Number(row.version), name: row.name, appliedAt: new Date(row.applied_at).toISOString() })),
    pending: MIGRATIONS.filter((migration) => !done.has(migration.version)).map(({ version, name }) => ({ version, name })),
  };
}

/** For a server started without migrating (--no-migrate): refuses an unmigrated database, naming the fix. */
export async function requireMigrated(db: SqlExecutor): Promise<void> {
  const { pending } = await migrationStatus(db);
  if (pending.length === 0) return;
  throw new BrainStoreError('CONFIG', {
    parameters: { pending: pending.map((migration) => migration.version) },
    message: `the database lacks migration(s) ${pending.map((migration) => `${migration.version} (${migration.name})`).join(', ')}: run \`brain-store migrate\` first (or start without --no-migrate). Nothing was served.`,
  });
}
