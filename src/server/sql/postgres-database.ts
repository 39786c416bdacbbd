import pg from 'pg';
import { DEFAULT_STATEMENT_TIMEOUT_MS, SESSION_SETTINGS, type SqlDatabase, type SqlExecutor, type SqlListener } from './sql-database.ts';

export interface PostgresDatabaseOptions {
  readonly connectionString: string;
  /**
   * A direct (unpooled) connection for LISTEN, when `connectionString` goes through a pooler
   * in transaction mode. Giving it also marks `connectionString` as pooled (see `pooled`).
   */
  readonly directConnectionString?: string;
  /**
   * Whether `connectionString` is a transaction-mode pooler (default: whether a direct one is
   * given). Pooled, no session state is kept: the planner settings travel with each
   * transaction (SET LOCAL) instead of in the startup packet, which poolers strip or refuse.
   */
  readonly pooled?: boolean;
  /**
   * Longest a statement of the pool may run, in ms (default 15 s; 0: no limit). Set like the
   * planner settings: in the startup packet, or by SET LOCAL in each transaction when pooled.
   * A statement past it fails with PostgreSQL's 57014 (query_canceled). The LISTEN session
   * has no statements to bound.
   */
  readonly statementTimeoutMs?: number;
  /** Pool size for pulls and pushes (default 10). */
  readonly maxConnections?: number;
  /** Delay before the LISTEN connection reconnects after a loss (default 500 ms, doubling to 10 s). */
  readonly reconnectDelayMs?: number;
  /** Called with errors the adapter recovers from on its own (a dropped LISTEN connection). */
  readonly onError?: (error: unknown) => void;
}

const MAX_RECONNECT_DELAY_MS = 10_000;

/** The planner settings plus the statement timeout (left out at 0: PostgreSQL's own default, none, stays). */
function sessionSettings(statementTimeoutMs: number): Readonly<Record<string, string>> {
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 0) {
    throw new RangeError(`statementTimeoutMs must be a whole number of ms, 0 or more (got ${statementTimeoutMs})`);
  }
  return statementTimeoutMs === 0 ? SESSION_SETTINGS : { ...SESSION_SETTINGS, statement_timeout: String(statementTimeoutMs) };
}

/**
 * The PostgreSQL adapter: a `pg` pool for statements and transactions, plus one dedicated
 * connection per channel for LISTEN. A LISTEN connection that drops reconnects with
 * backoff and then calls `onReconnect`, because notifications sent while it was away are lost.
 *
 * @example
 * const db = await openPostgresDatabase({ connectionString: process.env.DATABASE_URL! });
 */
export async function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<SqlDatabase> {
  const pooled = options.pooled ?? options.directConnectionString !== undefined;
  const settings = sessionSettings(options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: 'brain-store',
    ...(pooled
      ? {}
      : {
          options: Object.entries(settings)
            .map(([name, value]) => `-c ${name}=${value}`)
            .join(' '),
        }),
  });
  // An idle client that dies (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onError?.(error));
  await pool.query('SELECT 1');
  const listeners = new Set<() => Promise<void>>();

  // Unnamed statements only (pg names none unless asked): a pooler may hand each to another backend.
  const executor = (client: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async query<Row extends object>(text: string, params: readonly unknown[] = []) {
      const result = await client.query<Row>(text, [...params]);
      return result.rows;
    },
  });
  /** BEGIN, plus the planner settings for this transaction alone when pooled (one round trip). */
  const begin = pooled
    ? `BEGIN; ${Object.entries(settings)
        .map(([name, value]) => `SET LOCAL ${name} = ${value};`)
        .join(' ')}`
    : 'BEGIN';

  const database: SqlDatabase = {
    kind: 'postgres',
    // Pooled, a lone statement runs in a transaction of its own that carries the settings.
    ...(pooled ? { query: (text, params) => database.transaction((tx) => tx.query(text, params)) } : executor(pool)),
    async transaction(work) {
      const client = await pool.connect();
      let broken = false;
      // The pool drops its own error listener while a client is checked out: a backend killed
      // mid-transaction (a database restart) was an uncaught 'error' that ended the process
      // (issue 11, chaos). The transaction's next statement fails and is retried by the caller.
      const lost = (error: unknown): void => {
        broken = true;
        options.onError?.(error);
      };
      client.on('error', lost);
      try {
        await client.query(begin);
        const result = await work(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    },
    async listen(channel, listener) {
      const stop = await listenWithReconnect(options, channel, listener);
      listeners.add(stop);
      return async () => {
        listeners.delete(stop);
        await stop();
      };
    },
    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
      listeners.clear();
      await pool.end();
    },
  };
  return database;
}

/** Keeps one connection LISTENing on `channel` until stopped; resolves once the first LISTEN succeeded. */
async function listenWithReconnect(options: PostgresDatabaseOptions, channel: string, listener: SqlListener): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = options.reconnectDelayMs ?? 500;
  const quoted = `"${channel.replaceAll('"', '""')}"`;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({
      connectionString: options.directConnectionString ?? options.connectionString,
      application_name: 'brain-store-listen',
    });
    next.on('notification', (message) => {
      if (message.channel === channel) listener.onNotify(message.payload ?? '');
    });
    next.on('error', (error) => {
      options.onError?.(error);
      lost(next);
    });
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${quoted}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
  };

  const lost = (which: pg.Client): void => {
    if (stopped || client !== which) return;
    client = undefined;
    listener.onLost?.();
    which.end().catch(() => undefined);
    scheduleReconnect();
  };

  const scheduleReconnect = (): void => {
    if (stopped || timer) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        connect().then(
          () => {
            delay = options.reconnectDelayMs ?? 500;
            if (!stopped) listener.onReconnect();
          },
          (error: unknown) => {
            options.onError?.(error);
            delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
            scheduleReconnect();
          },
        );
        // Full jitter: instances that lost PostgreSQL together do not all come back at once.
      },
      Math.round(Math.random() * delay),
    );
    timer.unref();
  };

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const current = client;
    client = undefined;
    await current?.end().catch(() => undefined);
  };
}
