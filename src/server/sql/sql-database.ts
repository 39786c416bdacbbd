/**
 * The one SQL interface the sync server speaks. Two adapters implement it: PGlite
 * (embedded, one connection) and `pg` (a pool plus one dedicated LISTEN connection).
 * Everything above this file is written once against it.
 */
export interface SqlExecutor {
  /** Runs one statement with positional parameters ($1, $2, …) and returns its rows. */
  query<Row extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface SqlListener {
  /** Called for every NOTIFY on the channel, with its payload. */
  readonly onNotify: (payload: string) => void;
  /**
   * Called after the LISTEN connection was lost and listens again: notifications sent in
   * between are gone, so whoever relies on them must resynchronise.
   */
  readonly onReconnect: () => void;
  /** Called when the LISTEN connection is lost (before it reconnects): readiness reports it. */
  readonly onLost?: () => void;
}

export interface SqlDatabase extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Subscribes to a NOTIFY channel; resolves once listening. The returned function unsubscribes. */
  listen(channel: string, listener: SqlListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Planner settings of every session the server opens. Every statement of the server is
 * designed as an index walk (pull pages, key lookups, due actions, retention), and a pull
 * page must be an ordered walk of the pull index that stops after the page. The planner
 * cannot know how many rows of a workspace lie after a cursor (the workspace comes from an
 * array, the target snapshot from the statement itself), so on estimates a few times too
 * small it chose a bitmap or sequential scan and a sort of every row after the cursor: a
 * 100k first sync in pages of 5,000 took 2–3× the ordered walk, more the bigger the
 * workspace (test/server/sql/query-plans.pg.test.ts counts the pages read).
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = { enable_bitmapscan: 'off', enable_seqscan: 'off' };

/** The default statement timeout of the server's queries on PostgreSQL (issue 23: one runaway query cannot hold a connection for minutes). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;

/** PostgreSQL error codes worth retrying a whole transaction for. */
const RETRYABLE = new Set(['40001', '40P01']);

export function isRetryableSqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** Runs a transaction, retrying it on serialization failures and deadlocks. */
export async function withRetriedTransaction<T>(db: SqlDatabase, work: (tx: SqlExecutor) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableSqlError(error)) throw error;
    }
  }
}
