import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { createAccessToken } from '../../src/server/access-token.ts';
import { startSyncServer, type SyncServer, type SyncServerOptions } from '../../src/server/start-sync-server.ts';
import { openPgliteDatabase } from '../../src/server/sql/pglite-database.ts';
import { openPostgresDatabase } from '../../src/server/sql/postgres-database.ts';
import { runMigrations } from '../../src/server/sql/run-migrations.ts';
import type { SqlDatabase } from '../../src/server/sql/sql-database.ts';

/**
 * Sync servers for tests, on either backend. One database per test FILE (vitest isolates
 * module state per file): a PGlite instance shared by every server of the file, or a fresh
 * PostgreSQL database `brain_store_test_<random>` dropped after the file. Tests isolate
 * with `reset()`.
 *
 * @example
 * const pgState = await postgresState(); // at the top of a file
 * describe.skipIf(!pgState.available)('on postgres', () => { ... startTestServer({ backend: 'postgres' }) ... });
 */
export type TestBackend = 'pglite' | 'postgres';

export const POSTGRES_URL = process.env['BRAIN_STORE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

export interface TestServer extends SyncServer {
  readonly backend: TestBackend;
  readonly secret: string;
  /** A token for `workspaces` (default ttl one hour, against the server's clock). */
  token(workspaces: readonly string[], ttlSeconds?: number): Promise<string>;
  /** Direct SQL on the file's database (shared by every server of the file). */
  readonly sql: SqlDatabase;
  /** Removes every document (keeps the schema). */
  reset(): Promise<void>;
  /** The PostgreSQL URL of the file's database (postgres backend only). */
  readonly databaseUrl: string | undefined;
}

export type TestServerOptions = Partial<Omit<SyncServerOptions, 'database' | 'databaseUrl' | 'dataDir'>> & { backend: TestBackend };

const secret = randomBytes(24).toString('hex');
const databases = new Map<TestBackend, Promise<{ sql: SqlDatabase; url: string | undefined; drop: () => Promise<void> }>>();
const servers = new Set<SyncServer>();

let probe: Promise<{ available: boolean; reason: string }> | undefined;
/**
 * Whether PostgreSQL answers at POSTGRES_URL. Unreachable: a loud warning and
 * `available: false` — or a thrown error when CI=true, where skipping would hide failures.
 */
export function postgresState(): Promise<{ available: boolean; reason: string }> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres`, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { available: true, reason: '' };
    } catch (error) {
      const reason = `PostgreSQL is unreachable at ${POSTGRES_URL} (${String(error)})`;
      if (process.env['CI'] === 'true') throw new Error(`${reason}; CI=true, so PostgreSQL tests fail instead of skipping`);
      console.warn(`\n*** SKIPPING PostgreSQL tests: ${reason} ***\n`);
      return { available: false, reason };
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

function fileDatabase(backend: TestBackend) {
  let database = databases.get(backend);
  if (!database) {
    database = backend === 'pglite' ? openSharedPglite() : createPostgresDatabase();
    databases.set(backend, database);
  }
  return database;
}

async function openSharedPglite() {
  const sql = await openPgliteDatabase();
  await runMigrations(sql);
  return { sql, url: undefined, drop: () => sql.close() };
}

async function createPostgresDatabase() {
  const name = `brain_store_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `${POSTGRES_URL}/${name}`;
  const sql = await openPostgresDatabase({ connectionString: url, maxConnections: 4 });
  await runMigrations(sql);
  return {
    sql,
    url,
    async drop() {
      await sql.close();
      const dropper = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

/** Starts a server on the file's database of `backend`. Close it (or let the file's afterAll do it). */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const { backend, ...rest } = options;
  const { sql, url } = await fileDatabase(backend);
  const server = await startSyncServer({
    authSecret: secret,
    logLevel: 'silent',
    expiryIntervalMs: 0,
    ...rest,
    ...(backend === 'pglite' ? { database: sql } : { databaseUrl: url! }),
  });
  servers.add(server);
  const now = rest.now ?? Date.now;
  return {
    ...server,
    backend,
    secret,
    sql,
    databaseUrl: url,
    token: (workspaces, ttlSeconds = 3_600) => createAccessToken({ secret, workspaces, ttlSeconds, now }),
    reset: () => resetDocuments(sql),
    close() {
      servers.delete(server);
      return server.close();
    },
  };
}

export async function resetDocuments(sql: SqlDatabase): Promise<void> {
  await sql.query('TRUNCATE brain_store_documents');
}

/** Closes every server and drops the file's databases; registered as an afterAll of every file using this helper. */
export async function closeTestDatabases(): Promise<void> {
  await Promise.all([...servers].map((server) => server.close()));
  servers.clear();
  const open = [...databases.values()];
  databases.clear();
  for (const database of open) await (await database).drop();
}

try {
  afterAll(closeTestDatabases);
} catch {
  // Imported outside a vitest file (e.g. a benchmark): the caller closes explicitly.
}
