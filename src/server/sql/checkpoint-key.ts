import { oncePerPool } from './once-per-pool.ts';

/** What the server needs to issue and check checkpoints: read once per connection pool. */
export interface CheckpointKey {
  /** The HMAC key of migration 4, shared by every instance over the database. */
  readonly key: string;
  /**
   * The most transactions the database can have running at once (PostgreSQL's process
   * array: connections, autovacuum, its launcher, background workers, WAL senders, prepared
   * transactions): no snapshot it takes lists more, so a checkpoint that does was not issued
   * by it. 122 with PostgreSQL's default settings.
   */
  readonly maxRunning: number;
}

const SQL = `SELECT checkpoint_key AS key,
  current_setting('max_connections')::int + current_setting('autovacuum_max_workers')::int + 1
  + current_setting('max_worker_processes')::int + current_setting('max_wal_senders')::int
  + current_setting('max_prepared_transactions')::int AS max_running
  FROM brain_store_secrets`;

/** The checkpoint key and bound of the database (settings changed since need a server restart). */
export const checkpointKey = oncePerPool((db): Promise<CheckpointKey> =>
  db.query<{ key: string; max_running: number | string }>(SQL).then((rows) => {
    if (!rows[0]) throw new Error('brain_store_secrets is empty: run the migrations');
    return { key: rows[0].key, maxRunning: Number(rows[0].max_running) };
  }),
);
