/**
 * A sync server in its own process (forked by the sync-scale bench), so its CPU is its own:
 * env BENCH_PG_URL and BENCH_SECRET; answers IPC `stats` with process.cpuUsage() and its
 * SQL meter, `reset` zeroes the meter, `stop` closes and exits.
 */
import { startSyncServer } from '../../src/server/start-sync-server.ts';
import { openPostgresDatabase } from '../../src/server/sql/postgres-database.ts';
import { meteredDatabase, SqlMeter } from '../lib/sync-server.ts';

type Command = { type: 'stats' } | { type: 'reset' } | { type: 'stop' };

async function main(): Promise<void> {
  const sql = await openPostgresDatabase({ connectionString: process.env['BENCH_PG_URL']!, maxConnections: 10 });
  const meter = new SqlMeter();
  const server = await startSyncServer({
    authSecret: process.env['BENCH_SECRET']!,
    database: meteredDatabase(sql, meter),
    logLevel: 'silent',
    expiryIntervalMs: 0,
    rateLimit: false,
  });
  process.on('message', (command: Command) => {
    if (command.type === 'stats') process.send?.({ type: 'stats', cpu: process.cpuUsage(), meter: meter.snapshot() });
    else if (command.type === 'reset') {
      meter.reset();
      process.send?.({ type: 'reset' });
    } else {
      void (async () => {
        await server.close();
        await sql.close();
        process.exit(0);
      })();
    }
  });
  process.send?.({ type: 'ready', url: server.url });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
