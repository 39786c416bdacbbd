import { oncePerPool } from './once-per-pool.ts';

/**
 * The id a checkpoint names its database by: the random id the migration stored, plus the
 * database's oid. The random id tells a reset database apart; the oid also tells apart a copy
 * (a pg_dump restored into a new database, `CREATE DATABASE … TEMPLATE`), which carries the
 * same random id but whose transaction ids say nothing about what a client has seen.
 * Read once per connection pool: recreating the database means restarting the server.
 */
export const serverIdentity = oncePerPool((db) =>
  db
    .query<{ id: string }>(
      `SELECT s.id || '.' || (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS id FROM brain_store_server s`,
    )
    .then((rows) => {
      if (!rows[0]) throw new Error('brain_store_server is empty: run the migrations');
      return rows[0].id;
    }),
);
