import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { describeNeeding, skipReason } from './skip-or-fail.ts';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import type { Writer } from '../../src/collections/write-rules.ts';
import { startSyncServer, type SyncServer, type SyncServerOptions } from '../../src/server/start-sync-server.ts';
import { openPgliteDatabase } from '../../src/server/sql/pglite-database.ts';
import { openPostgresDatabase } from '../../src/server/sql/postgres-database.ts';
import { runMigrations } from '../../src/server/sql/run-migrations.ts';
import type { SqlDatabase } from '../../src/server/sql/sql-database.ts';
import { startPgBouncer } from './pgbouncer.ts';

/**
 * Sync servers for tests, on either backend. One database per test FILE (vitest isolates
 * module state per file): a PGlite instance shared by every server of the file, or a fresh
 * PostgreSQL database `brain_store_test_<random>` dropped after the file. Tests isolate
 * with `reset()`.
 *
 * @example
 * await describeOnPostgres('on postgres', () => { ... startTestServer({ backend: 'postgres' }) ... });
 * describe.each(await syncBackends())('against %s', (backend) => { ... startTestServer({ backend }) ... });
 */
export type TestBackend = 'pglite' | 'postgres' | 'pgbouncer';

export const POSTGRES_URL = process.env['BRAIN_STORE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

export interface TestServer extends SyncServer {
  readonly backend: TestBackend;
  readonly secret: string;
  /** A token for `workspaces` (default ttl one hour, against the server's clock), a bot's unless `writer` says otherwise. */
  token(workspaces: readonly string[], ttlSeconds?: number, writer?: Writer): Promise<string>;
  /** Direct SQL on the file's database (shared by every server of the file). */
  readonly sql: SqlDatabase;
  /** Removes every document (keeps the schema). */
  reset(): Promise<void>;
  /** The PostgreSQL URL of the file's database (postgres backend only). */
  readonly databaseUrl: string | undefined;
}

export type TestServerOptions = Partial<Omit<SyncServerOptions, 'database' | 'databaseUrl' | 'dataDir'>> & { backend: TestBackend };

const secret = randomBytes(24).toString('hex');
/** Tokens of a test server may live a year and a month (the default policy allows 30 days). */
const TEST_TOKEN_POLICY = { maxLifetimeSeconds: 400 * 86_400 };
const databases = new Map<
  TestBackend,
  Promise<{ sql: SqlDatabase; url: string | undefined; pooledUrl?: string; drop: () => Promise<void> }>
>();
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
      skipReason({ available: false, reason }, 'PostgreSQL tests');
      return { available: false, reason };
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

/** `describe` for a block that needs PostgreSQL: skipped, with the reason in its name, when it does not answer. */
export async function describeOnPostgres(name: string, body: () => void): Promise<void> {
  const postgres = await postgresState();
  describeNeeding(postgres.available ? { available: true } : postgres, 'PostgreSQL tests', name, body);
}

/** The backends a sync test runs against: PGlite always, PostgreSQL when it answers. */
export async function syncBackends(): Promise<TestBackend[]> {
  return (await postgresState()).available ? ['pglite', 'postgres'] : ['pglite'];
}

/** An empty PostgreSQL database `brain_store_test_<random>` (no migrations run); `drop()` removes it. */
export async function createScratchPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `brain_store_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${POSTGRES_URL}/${name}`,
    async drop() {
      const dropper = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

function fileDatabase(backend: TestBackend) {
  let database = databases.get(backend);
  if (!database) {
    database = backend === 'pglite' ? openSharedPglite() : backend === 'pgbouncer' ? createPooledDatabase() : createPostgresDatabase();
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
  const scratch = await createScratchPostgresDatabase();
  const sql = await openPostgresDatabase({ connectionString: scratch.url, maxConnections: 4 });
  await runMigrations(sql);
  return {
    sql,
    url: scratch.url,
    async drop() {
      await sql.close();
      await scratch.drop();
    },
  };
}

/**
 * 'pgbouncer': the file's PostgreSQL database reached through a PgBouncer of its own in
 * transaction mode; servers query through it and LISTEN on a direct connection (issue 17.8).
 */
async function createPooledDatabase() {
  const database = await createPostgresDatabase();
  const bouncer = await startPgBouncer();
  return {
    ...database,
    pooledUrl: bouncer.urlOf(new URL(database.url).pathname.slice(1)),
    async drop() {
      await bouncer.stop();
      await database.drop();
    },
  };
}

/** Starts a server on the file's database of `backend`. Close it (or let the file's afterAll do it). */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const { backend, ...rest } = options;
  const { sql, url, pooledUrl } = await fileDatabase(backend);
  const server = await startSyncServer({
    authSecret: secret,
    // Files with a fake clock mint year-long tokens (retention runs over months).
    auth: { policy: TEST_TOKEN_POLICY },
    logLevel: 'silent',
    expiryIntervalMs: 0,
    // close() waits this long for in-flight requests (a live client's stream request) before
    // cutting them; the 2 s default cost ~2 s per test. A cut request is safe: clients resend.
    shutdownGraceMs: 100,
    // The fixtures are dated 2023 (T0): a new document that old is refused by the default
    // allowance, so files that do not test the time rules lift that one bound.
    timeAllowance: { maxPastMs: Number.POSITIVE_INFINITY, ...rest.timeAllowance },
    ...rest,
    ...(backend === 'pglite'
      ? { database: sql }
      : pooledUrl !== undefined
        ? { databaseUrl: pooledUrl, directDatabaseUrl: url! }
        : { databaseUrl: url! }),
  });
  servers.add(server);
  const now = rest.now ?? Date.now;
  return {
    ...server,
    backend,
    secret,
    sql,
    databaseUrl: url,
    token: (workspaces, ttlSeconds = 3_600, writer = { role: 'bot', subject: 'test-bot' }) =>
      createAccessToken({
        secret,
        workspaces,
        ttlSeconds,
        now,
        policy: TEST_TOKEN_POLICY,
        role: writer.role,
        ...(writer.subject === undefined ? {} : { subject: writer.subject }),
      }),
    reset: () => resetDocuments(sql),
    close() {
      servers.delete(server);
      return server.close();
    },
  };
}

async function resetDocuments(sql: SqlDatabase): Promise<void> {
  await sql.query('TRUNCATE brain_store_documents');
}

/** Closes every server and drops the file's databases; registered as an afterAll of every file using this helper. */
async function closeTestDatabases(): Promise<void> {
  await Promise.all([...servers].map((server) => server.close()));
  servers.clear();
  const open = [...databases.values()];
  databases.clear();
  for (const database of open) await (await database).drop();
}

afterAll(closeTestDatabases);
