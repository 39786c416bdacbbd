import { LATEST_MIGRATION } from './sql/migration-status.ts';
import type { ChangeHub } from './fanout/create-change-hub.ts';
import type { SqlDatabase } from './sql/sql-database.ts';

/** What /readyz reads; `draining` turns it 503 the moment a shutdown begins. */
export interface ServerHealth {
  draining: boolean;
  /** undefined when ready; else the reason, one sentence an operator can act on. */
  notReady(): Promise<string | undefined>;
}

/** Most time a readiness query may take: a database that hangs is not ready. */
const PROBE_TIMEOUT_MS = 2_000;

export function createServerHealth(db: SqlDatabase, hub: ChangeHub): ServerHealth {
  const health: ServerHealth = {
    draining: false,
    async notReady() {
      if (health.draining) return 'shutting down: new requests belong to another instance';
      let version: number;
      try {
        const rows = await withTimeout(db.query<{ version: number | null }>('SELECT max(version) AS version FROM brain_store_migrations'));
        version = Number(rows[0]?.version ?? 0);
      } catch (error) {
        return `database unreachable: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (version < LATEST_MIGRATION) {
        return `migrations not applied (database at ${version}, this server needs ${LATEST_MIGRATION}): run brain-store migrate`;
      }
      const listen = hub.listenState?.();
      if (listen && !listen.listening) return 'LISTEN session lost (reconnecting): live changes are not delivered';
      if (listen?.delivery === 'failed') {
        return 'no change notification arrived on the LISTEN session: behind a pooler in transaction mode, set DATABASE_DIRECT_URL (directDatabaseUrl) to a direct connection';
      }
      return undefined;
    },
  };
  return health;
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
