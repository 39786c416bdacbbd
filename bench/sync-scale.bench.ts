/**
 * Sync at scale (issue 10, part 6), on PostgreSQL: 100 / 300 / 1,000 live stream clients on
 * one server instance (one write reaching all of them: latency, SQL statements and server
 * CPU per change), 1 vs 2 server instances on one database, and a workspace of 1,000,000
 * actions against one of 10,000 (pull page and push latency). Servers and clients run in
 * their own processes (bench/sync-scale/*), on loopback.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createAccessToken } from '../src/server/auth/access-token.ts';
import { openPostgresDatabase } from '../src/server/sql/postgres-database.ts';
import { runMigrations } from '../src/server/sql/run-migrations.ts';
import type { BenchContext, BenchModule, BenchRow } from './lib/bench-module.ts';
import { info, judged } from './lib/bench-module.ts';
import { loadNote } from './lib/load-note.ts';
import { readReport } from './lib/report.ts';
import { median, round } from './lib/stats.ts';
import { admin, POSTGRES_URL, postgresUnavailable, startBenchServer } from './lib/sync-server.ts';
import { benchBigWorkspace, p } from './sync-scale/big-workspace.ts';
import { benchFanOut, FANOUT_WORKSPACE, type FanOutResult } from './sync-scale/fan-out.ts';

const TARGET_P99_MS = 100;
const TARGET_FLAT = 1.2;

/** A fresh migrated database for the server processes; dropped by the returned function. */
async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `brain_store_scale_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    const sql = await openPostgresDatabase({ connectionString: `${POSTGRES_URL}/${name}`, maxConnections: 2 });
    await runMigrations(sql);
    await sql.close();
  } catch (error) {
    await drop();
    throw error;
  }
  return { url: `${POSTGRES_URL}/${name}`, drop };
}

function describe(result: FanOutResult): string {
  const statements = Object.entries(result.byStatementPerChange)
    .sort((a, b) => b[1] - a[1])
    .map(([label, count]) => `${label} ${count}`)
    .join(', ');
  return (
    `${result.writes} writes, ${result.clients} clients on ${result.servers} instance(s); p50 ${result.p50} ms, max ${result.max} ms; ` +
    `delivered by CHANGES event ${result.fed}, by pull after a poke ${result.pulled} (client pulls per change ${result.clientPullsPerChange}); ` +
    `server SQL per change ${result.statementsPerChange} statements in ${result.transactionsPerChange} transactions (${statements}); ` +
    `server CPU per change ${result.serverCpuMsPerChange} ms (by instance ${result.serverCpuMsPerChangeByInstance.join(' / ')}); ` +
    `wall per change ${result.wallMsPerChange} ms`
  );
}

async function fanOutRows(context: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const writes = context.scale(30, 5);
  const curve = context.quick ? [20, 60] : [100, 300, 1_000];
  const database = await scratchDatabase();
  const secret = randomBytes(24).toString('hex');
  const token = await createAccessToken({ secret, workspaces: [FANOUT_WORKSPACE], ttlSeconds: 3_600, role: 'bot', subject: 'bench-bot' });
  try {
    let seedBase = 1;
    const run = (clients: number, servers: number) =>
      benchFanOut({ pgUrl: database.url, secret, token, clients, servers, writes, warmups: 3, log: context.log, seedBase: seedBase++ });
    const results = new Map<string, FanOutResult>();
    for (const clients of curve) {
      const result = await run(clients, 1);
      results.set(`${clients}x1`, result);
      context.log(
        `fan-out ${clients} clients: p99 ${result.p99} ms, ${result.statementsPerChange} statements, ${result.serverCpuMsPerChange} ms CPU per change`,
      );
      const largest = clients === curve.at(-1);
      const row = {
        id: `fanout.postgres.${clients}.p99`,
        name: `one write → ${clients} live stream clients, one instance (p99)`,
        subject: 'postgres',
        value: result.p99,
        unit: 'ms',
        note: describe(result) + loadNote(),
        details: { ...result },
      };
      rows.push(largest ? judged({ ...row, target: { op: '<=', value: TARGET_P99_MS } }) : info(row));
      rows.push(
        info({
          id: `fanout.postgres.${clients}.cpu`,
          name: `server CPU per change, ${clients} clients`,
          subject: 'postgres',
          value: result.serverCpuMsPerChange,
          unit: 'ms',
          note: `${round((result.serverCpuMsPerChange * 1000) / clients, 1)} µs per client per change; ${result.statementsPerChange} SQL statements per change`,
        }),
      );
    }
    const most = curve.at(-1)!;
    const two = await run(most, 2);
    const one = results.get(`${most}x1`)!;
    context.log(`fan-out ${most} clients on 2 instances: p99 ${two.p99} ms`);
    rows.push(
      info({
        id: `fanout.postgres.${most}.two-instances.p99`,
        name: `one write → ${most} clients split over 2 instances on one PostgreSQL (p99)`,
        subject: 'postgres',
        value: two.p99,
        unit: 'ms',
        note:
          `one instance: p99 ${one.p99} ms, p50 ${one.p50} ms, CPU ${one.serverCpuMsPerChange} ms/change; two: ` +
          describe(two) +
          `; 2 cores shared by the servers, ${Math.ceil(most / 250)} client workers, PostgreSQL and the pusher, so a second instance cannot add CPU here` +
          loadNote(),
        details: { one, two },
      }),
    );
  } finally {
    await database.drop();
  }
  return rows;
}

async function bigWorkspaceRows(context: BenchContext): Promise<BenchRow[]> {
  const sizes: [number, number] = context.quick ? [1_000, 20_000] : [10_000, 1_000_000];
  const server = await startBenchServer('postgres');
  try {
    const [small, big] = await benchBigWorkspace({ server, sizes, samples: context.scale(20, 5), log: context.log });
    const rows: BenchRow[] = [];
    const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);
    for (const [key, name] of [
      ['firstPage', 'first pull page (200, from no checkpoint)'],
      ['middlePage', 'pull page in the middle of history (200)'],
      ['caughtUp', 'pull of a caught-up client'],
      ['push', 'push of one action'],
    ] as const) {
      const a = median(small![key]);
      const b = median(big![key]);
      rows.push(
        judged({
          id: `big-workspace.postgres.${key}.ratio`,
          name: `${name}: ${label(big!.rows)} / ${label(small!.rows)} workspace`,
          subject: 'postgres',
          value: round(b / a, 2),
          unit: 'x',
          target: { op: '<=', value: TARGET_FLAT },
          note:
            `median of ${small![key].length} HTTP round trips, alternating workspaces: ${label(small!.rows)} ${round(a, 2)} ms (p99 ${p(small![key], 99)}), ` +
            `${label(big!.rows)} ${round(b, 2)} ms (p99 ${p(big![key], 99)}); both workspaces in one table, rows inserted by raw SQL in the server's format` +
            loadNote(),
          details: { small: small![key].map((v) => round(v, 2)), big: big![key].map((v) => round(v, 2)) },
        }),
      );
    }
    return rows;
  } finally {
    await server.close();
  }
}

/**
 * The last written rows of a part left out by BENCH_SYNC_SCALE_PARTS: the runner replaces a
 * group's rows as a whole, so a part run alone would otherwise erase the other's figures.
 */
function earlierRows(prefix: string): BenchRow[] {
  const report = readReport(fileURLToPath(new URL('./results.json', import.meta.url)));
  return (report?.results ?? [])
    .filter((row) => row.group === 'sync-scale' && row.id.startsWith(prefix))
    .map(({ group: _group, ...row }) => ({ ...row, note: row.note.includes('(earlier run)') ? row.note : `${row.note} (earlier run)` }));
}

const syncScale: BenchModule = {
  name: 'sync-scale',
  description:
    'PostgreSQL at scale: one write → 100/300/1,000 live stream clients (p99 ≤ 100 ms at 1,000; SQL and server CPU per change), 1 vs 2 instances, pull page and push at 10k vs 1M actions (≤ 1.2×).',
  unavailable: postgresUnavailable,
  async run(context) {
    // Development filter: BENCH_SYNC_SCALE_PARTS=fanout,big
    const only = process.env['BENCH_SYNC_SCALE_PARTS']?.split(',');
    const rows: BenchRow[] = [];
    if (!only || only.includes('fanout')) rows.push(...(await fanOutRows(context)));
    else rows.push(...earlierRows('fanout.'));
    if (!only || only.includes('big')) rows.push(...(await bigWorkspaceRows(context)));
    else rows.push(...earlierRows('big-workspace.'));
    return rows;
  },
};

export default syncScale;
