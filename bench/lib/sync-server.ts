/**
 * Sync servers for benchmarks, on PGlite (in memory) or on a fresh PostgreSQL database
 * `brain_store_bench_<random>` that `close()` drops. Bench-own (test/helpers/sync-server.ts
 * registers vitest hooks). The server gets a metered SqlDatabase, so a figure can say how
 * much of its time the server spent in SQL; `sql` is the same database unmetered, for the
 * raw baselines.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { startSyncServer, type SyncServer } from '../../src/server/start-sync-server.ts';
import { openPgliteDatabase } from '../../src/server/sql/pglite-database.ts';
import { openPostgresDatabase } from '../../src/server/sql/postgres-database.ts';
import { runMigrations } from '../../src/server/sql/run-migrations.ts';
import type { SqlDatabase, SqlExecutor } from '../../src/server/sql/sql-database.ts';

export type ServerBackend = 'pglite' | 'postgres';
export const SERVER_BACKENDS: readonly ServerBackend[] = ['pglite', 'postgres'];

/** The PostgreSQL server the benchmarks use (its databases by name after a `/`). */
export const POSTGRES_URL =
  process.env['BRAIN_STORE_BENCH_PG_URL'] ?? process.env['BRAIN_STORE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

/** Why PostgreSQL cannot be used here, or undefined when it answers. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres`, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL is unreachable at ${POSTGRES_URL} (${String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs one statement on the server's `postgres` database (CREATE/DROP DATABASE, settings). */
export async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Time the server spent in SQL, per statement kind (the first words of the statement). */
export class SqlMeter {
  statements = 0;
  /** Wall time inside query() calls (PGlite: CPU on this thread; PostgreSQL: waiting). */
  queryMs = 0;
  transactions = 0;
  transactionMs = 0;
  readonly byStatement = new Map<string, { count: number; ms: number }>();

  reset(): void {
    this.statements = 0;
    this.queryMs = 0;
    this.transactions = 0;
    this.transactionMs = 0;
    this.byStatement.clear();
  }

  record(text: string, ms: number): void {
    this.statements += 1;
    this.queryMs += ms;
    const key = statementLabel(text);
    const entry = this.byStatement.get(key) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += ms;
    this.byStatement.set(key, entry);
  }

  snapshot(): {
    statements: number;
    queryMs: number;
    transactions: number;
    transactionMs: number;
    byStatement: Record<string, { count: number; ms: number }>;
  } {
    const byStatement: Record<string, { count: number; ms: number }> = {};
    for (const [key, value] of this.byStatement) byStatement[key] = { count: value.count, ms: Math.round(value.ms * 10) / 10 };
    return {
      statements: this.statements,
      queryMs: Math.round(this.queryMs),
      transactions: this.transactions,
      transactionMs: Math.round(this.transactionMs),
      byStatement,
    };
  }
}

function statementLabel(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.startsWith('WITH horizon')) return 'pull page (WITH horizon … LIMIT)';
  if (flat.startsWith('SELECT d.workspace_id AS ws')) return 'read documents (FOR UPDATE)';
  if (flat.startsWith('INSERT INTO brain_store_documents')) return 'insert documents';
  if (flat.startsWith('UPDATE brain_store_documents')) return 'update documents';
  if (flat.startsWith('SELECT pg_notify')) return 'pg_notify';
  return flat.slice(0, 40);
}

/** Wraps a database so every statement's time lands in `meter`. */
export function meteredDatabase(db: SqlDatabase, meter: SqlMeter): SqlDatabase {
  const metered = (executor: SqlExecutor): SqlExecutor => ({
    async query<Row extends object>(text: string, params?: readonly unknown[]) {
      const start = performance.now();
      try {
        return await executor.query<Row>(text, params);
      } finally {
        meter.record(text, performance.now() - start);
      }
    },
  });
  return {
    kind: db.kind,
    ...metered(db),
    async transaction(work) {
      const start = performance.now();
      try {
        return await db.transaction((tx) => work(metered(tx)));
      } finally {
        meter.transactions += 1;
        meter.transactionMs += performance.now() - start;
      }
    },
    listen: (channel, listener) => db.listen(channel, listener),
    close: () => db.close(),
  };
}

export interface BenchServer {
  readonly backend: ServerBackend;
  readonly url: string;
  /** The server's database, unmetered: raw baselines and seeding. */
  readonly sql: SqlDatabase;
  /** What the server's own statements cost. */
  readonly meter: SqlMeter;
  token(workspaces: readonly string[]): Promise<string>;
  /** An operator token: /metrics answers only to operators. */
  operatorToken(): Promise<string>;
  /** Stops the server, closes the database and (PostgreSQL) drops it. */
  close(): Promise<void>;
}

/**
 * Starts a sync server on a fresh database of `backend`. No expiry timer, no rate limit,
 * silent logs: nothing but the requests measured.
 */
export async function startBenchServer(backend: ServerBackend, extra: { dashboardDir?: string } = {}): Promise<BenchServer> {
  const secret = randomBytes(24).toString('hex');
  const database = backend === 'pglite' ? await openPglite() : await createPostgresDatabase();
  const meter = new SqlMeter();
  let server: SyncServer;
  try {
    server = await startSyncServer({
      authSecret: secret,
      database: meteredDatabase(database.sql, meter),
      logLevel: 'silent',
      expiryIntervalMs: 0,
      rateLimit: false,
      ...extra,
    });
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    backend,
    url: server.url,
    sql: database.sql,
    meter,
    token: (workspaces) => createAccessToken({ secret, workspaces, ttlSeconds: 3_600, role: 'bot', subject: 'bench-bot' }),
    operatorToken: () =>
      createAccessToken({ secret, workspaces: ['bench-operator'], ttlSeconds: 3_600, role: 'operator', subject: 'bench-operator' }),
    async close() {
      await server.close();
      await database.drop();
    },
  };
}

async function openPglite() {
  const sql = await openPgliteDatabase();
  await runMigrations(sql);
  return { sql, drop: () => sql.close() };
}

async function createPostgresDatabase() {
  const name = `brain_store_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const drop = async () => {
    const dropper = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  };
  try {
    // The server's default pool size (openDatabase with a databaseUrl uses 10).
    const sql = await openPostgresDatabase({ connectionString: `${POSTGRES_URL}/${name}`, maxConnections: 10 });
    await runMigrations(sql);
    return {
      sql,
      async drop() {
        await sql.close().catch(() => undefined);
        await drop();
      },
    };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
}

/**
 * The server's own request-time total for a route, from its Prometheus /metrics (the
 * latency histogram's sum and count): from the first middleware to the response object,
 * so it covers token check, body parse, SQL and JSON.stringify, not the transport.
 */
export async function serverRouteTime(server: BenchServer, route: string): Promise<{ ms: number; count: number }> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${await server.operatorToken()}` } });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  let ms = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('brain_store_http_request_duration_seconds_') || !line.includes(`route="${route}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('brain_store_http_request_duration_seconds_sum')) ms += value * 1000;
    else if (line.startsWith('brain_store_http_request_duration_seconds_count')) count += value;
  }
  return { ms, count };
}
