/**
 * The push part of the sync group on its own, printed and not written to the report (a
 * filtered `npm run bench -- sync` replaces the whole group's figures):
 *   npx tsx bench/sync/push-only.ts [pglite|postgres]…
 */
import { SERVER_BACKENDS, postgresUnavailable, startBenchServer, type ServerBackend } from '../lib/sync-server.ts';
import { benchPush } from './push.ts';

const backends = process.argv.length > 2 ? (process.argv.slice(2) as ServerBackend[]) : SERVER_BACKENDS;
for (const backend of backends) {
  const reason = backend === 'postgres' ? await postgresUnavailable() : undefined;
  if (reason !== undefined) {
    console.log(`${backend}: skipped — ${reason}`);
    continue;
  }
  const server = await startBenchServer(backend);
  try {
    const rows = await benchPush({ log: (message) => console.error(message), quick: false, scale: (full) => full }, server);
    for (const row of rows) console.log(`${row.id}: ${row.value} ${row.unit} — ${row.note}\n`);
  } finally {
    await server.close();
  }
}
