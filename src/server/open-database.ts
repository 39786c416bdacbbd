import type { Logger } from 'pino';
import { openPgliteDatabase } from './sql/pglite-database.ts';
import { openPostgresDatabase } from './sql/postgres-database.ts';
import { runMigrations } from './sql/run-migrations.ts';
import { requireMigrated } from './sql/migration-status.ts';
import type { SqlDatabase } from './sql/sql-database.ts';

/**
 * Opens the server's database — PostgreSQL when given a URL, else PGlite (on disk under
 * dataDir, in memory without) — and brings its schema up to date.
 */
export async function openDatabase(
  options: {
    readonly databaseUrl?: string;
    readonly directDatabaseUrl?: string;
    readonly dataDir?: string;
    /** PostgreSQL only: the longest a statement may run (default 15 s; 0: no limit). PGlite has none. */
    readonly statementTimeoutMs?: number;
    /** false: refuse a database lacking a migration instead of applying it (--no-migrate). */
    readonly migrate?: boolean;
  },
  logger: Logger,
): Promise<SqlDatabase> {
  const db = options.databaseUrl
    ? await openPostgresDatabase({
        connectionString: options.databaseUrl,
        ...(options.directDatabaseUrl === undefined ? {} : { directConnectionString: options.directDatabaseUrl }),
        ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
        onError: (err) => logger.warn({ err }, 'database connection error'),
      })
    : await openPgliteDatabase(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  try {
    if (options.migrate === false) {
      await requireMigrated(db);
      return db;
    }
    const applied = await runMigrations(db);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
