import { Gauge, type Registry } from 'prom-client';
import type { SqlDatabase } from './sql-database.ts';

/**
 * Age in seconds of the oldest transaction anywhere in the cluster that holds a transaction
 * id (a writer), from pg_stat_activity; 0 when none. Delivery no longer waits for such a
 * transaction, but its own rows do, and operators want to see who holds one open. PGlite has
 * a single connection, so it is always 0 there.
 */
export async function oldestOpenTransactionSeconds(db: SqlDatabase): Promise<number> {
  if (db.kind === 'pglite') return 0;
  const rows = await db.query<{ age: number | string | null }>(
    `SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(xact_start))::float8 AS age
     FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()`,
  );
  return Math.max(0, Number(rows[0]?.age ?? 0));
}

/** Registers `brain_store_oldest_transaction_seconds`, read at each scrape. */
export function trackOldestOpenTransaction(registry: Registry, db: SqlDatabase): void {
  new Gauge({
    name: 'brain_store_oldest_transaction_seconds',
    help: 'Age of the oldest open writing transaction in the PostgreSQL cluster (0 on PGlite)',
    registers: [registry],
    async collect() {
      this.set(await oldestOpenTransactionSeconds(db));
    },
  });
}
