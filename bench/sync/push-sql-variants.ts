/**
 * The insert statement shapes a push of 10k new rows could take (issue 10 item 3), timed
 * against the raw batched INSERT on the same table: wall, this process's CPU and, on
 * PostgreSQL, the backend's CPU from /proc (one dedicated connection). Found: ON CONFLICT
 * DO NOTHING (+ RETURNING) costs the backend ~20% more than a plain INSERT; ORDER BY by key
 * costs nothing measurable; pg_notify in the statement saves a round trip.
 *   ROUNDS=8 npx tsx bench/sync/push-sql-variants.ts [pglite|postgres]
 */
import { pendingActions } from '../lib/fixtures.ts';
import { startBenchServer, type ServerBackend } from '../lib/sync-server.ts';
import { clearWorkspace } from './server-rows.ts';
import type { SqlExecutor } from '../../src/server/sql/sql-database.ts';
import { processCpuMs } from '../../harness/process-cpu.ts';
import pg from 'pg';

/** CPU (user + system, ms) a PostgreSQL backend has used so far (the server runs on this machine). */
const backendCpu = (pid: number): number => processCpuMs(pid) ?? Number.NaN;

const WS = 'w-var';
const COLS = `(collection, workspace_id, id, doc, deleted, received_at)`;
const FROM = `FROM jsonb_to_recordset($2::jsonb) AS r(ws text, id text, doc jsonb, deleted boolean)`;
const variants: Record<string, { tx: boolean; notify: boolean; sql: string }> = {
  raw: { tx: false, notify: false, sql: `INSERT INTO brain_store_documents ${COLS} SELECT $1, r.ws, r.id, r.doc, r.deleted, $3 ${FROM}` },
  current: {
    tx: true,
    notify: true,
    sql: `INSERT INTO brain_store_documents ${COLS} SELECT $1, r.ws, r.id, r.doc, r.deleted, $3 ${FROM} ORDER BY r.ws, r.id ON CONFLICT DO NOTHING RETURNING workspace_id AS ws, id`,
  },
  txCte: {
    tx: true,
    notify: false,
    sql: `WITH ins AS (INSERT INTO brain_store_documents ${COLS} SELECT $1, r.ws, r.id, r.doc, r.deleted, $3 ${FROM} ORDER BY r.ws, r.id ON CONFLICT DO NOTHING RETURNING workspace_id AS ws, id)
      SELECT ws, id FROM ins UNION ALL SELECT NULL, NULL FROM (SELECT pg_notify($4, $5)) n WHERE EXISTS (SELECT 1 FROM ins)`,
  },
  oneCte: {
    tx: false,
    notify: false,
    sql: `WITH ins AS (INSERT INTO brain_store_documents ${COLS} SELECT $1, r.ws, r.id, r.doc, r.deleted, $3 ${FROM} ORDER BY r.ws, r.id ON CONFLICT DO NOTHING RETURNING workspace_id AS ws, id)
      SELECT ws, id FROM ins UNION ALL SELECT NULL, NULL FROM (SELECT pg_notify($4, $5)) n WHERE EXISTS (SELECT 1 FROM ins)`,
  },
  oneCteCount: {
    tx: false,
    notify: false,
    sql: `WITH ins AS (INSERT INTO brain_store_documents ${COLS} SELECT $1, r.ws, r.id, r.doc, r.deleted, $3 ${FROM} ORDER BY r.ws, r.id ON CONFLICT DO NOTHING RETURNING 1)
      SELECT count(*)::int AS n FROM ins, (SELECT pg_notify($4, $5)) n`,
  },
  noOrder: {
    tx: false,
    notify: false,
    sql: `WITH ins AS (INSERT INTO brain_store_documents ${COLS} SELECT $1, r.ws, r.id, r.doc, r.deleted, $3 ${FROM} ON CONFLICT DO NOTHING RETURNING workspace_id AS ws, id)
      SELECT ws, id FROM ins UNION ALL SELECT NULL, NULL FROM (SELECT pg_notify($4, $5)) n WHERE EXISTS (SELECT 1 FROM ins)`,
  },
  plainNoConflict: {
    tx: false,
    notify: false,
    sql: `INSERT INTO brain_store_documents ${COLS} SELECT $1, r.ws, r.id, r.doc, r.deleted, $3 ${FROM} ORDER BY r.ws, r.id`,
  },
};

async function once(
  pid: number,
  db: { query: SqlExecutor['query']; transaction: <T>(w: (tx: SqlExecutor) => Promise<T>) => Promise<T> },
  name: string,
  bodies: string[],
) {
  const v = variants[name]!;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const pgStart = pid ? backendCpu(pid) : 0;
  for (const body of bodies) {
    const params = v.sql.includes('$4')
      ? ['brainActions', body, Date.now(), 'brain_store_bench_x', '{"c":"brainActions","w":["w-var"]}']
      : ['brainActions', body, Date.now()];
    const run = async (ex: SqlExecutor) => {
      await ex.query(v.sql, params);
      if (v.notify) await ex.query('SELECT pg_notify($1, $2)', ['brain_store_bench_x', '{"c":"brainActions","w":["w-var"]}']);
    };
    if (v.tx) await db.transaction(run);
    else await run(db);
  }
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpu: (used.user + used.system) / 1000, pgCpu: pid ? backendCpu(pid) - pgStart : 0 };
}

for (const backend of (process.argv[2] ? [process.argv[2]] : ['pglite', 'postgres']) as ServerBackend[]) {
  const server = await startBenchServer(backend);
  const docs = pendingActions(10_000, { workspace_id: WS, newest: Date.now() - 60_000, seed: 21 });
  const bodies: string[] = [];
  for (let at = 0; at < docs.length; at += 1000)
    bodies.push(JSON.stringify(docs.slice(at, at + 1000).map((doc) => ({ ws: doc.workspace_id, id: doc.id, doc, deleted: false }))));
  const results: Record<string, { ms: number[]; cpu: number[]; pgCpu: number[] }> = {};
  let db = server.sql as never as Parameters<typeof once>[1];
  let pid = 0;
  let client: pg.Client | undefined;
  if (backend === 'postgres') {
    const { name } = (await server.sql.query<{ name: string }>('SELECT current_database() AS name'))[0]!;
    client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${name}` });
    await client.connect();
    pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const c = client;
    const ex: SqlExecutor = { query: async (text, params) => (await c.query(text, params as unknown[])).rows as never };
    db = {
      query: ex.query,
      transaction: async (work) => {
        await c.query('BEGIN');
        const r = await work(ex);
        await c.query('COMMIT');
        return r;
      },
    };
  }
  for (let round = 0; round < Number(process.env.ROUNDS ?? 4); round++) {
    for (const name of Object.keys(variants)) {
      const r = await once(pid, db, name, bodies);
      await clearWorkspace(server.sql, 'brainActions', WS);
      if (round === 0) continue;
      (results[name] ??= { ms: [], cpu: [], pgCpu: [] }).ms.push(r.ms);
      results[name].pgCpu.push(r.pgCpu);
      results[name].cpu.push(r.cpu);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, r] of Object.entries(results))
    console.log(
      `${backend} ${name.padEnd(16)} wall ${med(r.ms).toFixed(0).padStart(5)} ms  cpu ${med(r.cpu).toFixed(0).padStart(5)} ms  pg backend cpu ${med(r.pgCpu).toFixed(0).padStart(5)} ms (${r.pgCpu.join(' ')}) (${r.ms.map((x) => x.toFixed(0)).join(' ')})`,
    );
  await client?.end();
  await server.close();
}
