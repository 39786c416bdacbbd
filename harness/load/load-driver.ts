/**
 * Issue 11 §4, the load itself, shared by the test (test/reliability/load.pg.test.ts: are
 * all writes there once, did every client converge) and the benchmark (bench/load.bench.ts:
 * how fast, how late).
 *
 * A fresh PostgreSQL database, `servers` sync server processes on it
 * (harness/server-child.ts), and `clients` brain-store clients spread over
 * processes of at most CLIENTS_PER_PROCESS stores (load-child.ts), client i replicating live
 * to server i mod `servers`. From one shared start time every client writes `writes` actions
 * one after the other (`intervalMs` apart when > 0, the clients spread over the interval;
 * else as fast as its store takes them);
 * then the driver waits until every store has seen every action, or `convergeTimeoutMs`.
 * Nothing here asserts: the result carries what the test checks and the figures the bench
 * reports. Everything is torn down (processes killed, database dropped) even on failure.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { openPostgresDatabase } from '../../src/server/sql/postgres-database.ts';
import { runMigrations } from '../../src/server/sql/run-migrations.ts';
import { startServerProcess, urlOf, type ServerProcess } from '../server-process.ts';
import { dataDigest, type ChildCommand, type ClientReport, type StoreWrites } from './load-protocol.ts';
import { nextMessage } from '../next-message.ts';
import { processCpuMs } from '../process-cpu.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./load-child.ts', import.meta.url));

/** 4 stores × 3 collections = 12 ≤ the open-source RxDB's 13 open collections per process. */
export const CLIENTS_PER_PROCESS = 4;

export interface LoadOptions {
  /** Base URL of the PostgreSQL server, e.g. `postgres://postgres@127.0.0.1:5432` (a database is created on it and dropped). */
  readonly pgUrl: string;
  readonly clients: number;
  readonly writes: number;
  /** Pause between one client's writes (ms); 0 writes as fast as the store takes them. */
  readonly intervalMs: number;
  readonly servers?: number;
  /** Longest wait for the writes' acknowledgements, then for every store to see every write. */
  readonly convergeTimeoutMs: number;
  readonly log?: (message: string) => void;
}

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface LoadResult {
  readonly clients: number;
  readonly writes: number;
  readonly processes: number;
  readonly servers: number;
  /** Every id the server acknowledged to its writer (duplicates would show here). */
  readonly acknowledged: string[];
  /** The server's rows of the workspace's actions. */
  readonly server: { readonly rows: number; readonly deleted: number; readonly ids: string[]; readonly digest: string };
  /** Each store's view: its document count, its digest, and how many acknowledged actions it never saw on `$`. */
  readonly stores: { readonly name: string; readonly count: number; readonly digest: string; readonly unseen: number }[];
  /** Whether every store saw every write within the timeout. */
  readonly converged: boolean;
  readonly figures: {
    /** Shared start → last acknowledgement. */
    readonly acknowledgedMs: number;
    /** Shared start → the last store's `$` seeing the last write. */
    readonly convergedMs: number;
    /** Writes per second acknowledged by the servers (writes / acknowledgedMs). */
    readonly acknowledgedPerSecond: number;
    /** Writes per second seen by every client (writes / convergedMs). */
    readonly convergedPerSecond: number;
    /** Write on one client → `$` emission on each OTHER client (ms), one sample per (write, other client). */
    readonly endToEnd: Summary;
    /** Write → the server's acknowledgement to the writer (ms). */
    readonly acknowledgement: Summary;
    /** CPU (user + system) of each server process during the write phase, ms. */
    readonly serverCpuMs: number[];
    /** CPU of all client processes together during the write phase, ms. */
    readonly clientCpuMs: number;
  };
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function summarize(samples: number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) =>
    sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const round = (value: number) => Math.round(value * 10) / 10;
  return { n: sorted.length, p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(at(100)) };
}

function cpuMsOf(pid: number | undefined): number {
  return processCpuMs(pid) ?? Number.NaN;
}

/** The child's next message of `type`, or an error (its `error` message, its exit, or the timeout). */
function answer<T>(child: ChildProcess, command: ChildCommand, timeoutMs: number): Promise<T> {
  const reply = nextMessage<T>(child, command.type, timeoutMs);
  child.send(command);
  return reply;
}

async function admin(pgUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${pgUrl}/postgres` });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  if (child.connected) child.send({ type: 'stop' } satisfies ChildCommand, () => undefined);
  else child.kill('SIGKILL');
  await exited;
  clearTimeout(timer);
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const began = now();
  const log = (message: string) => options.log?.(`+${((now() - began) / 1000).toFixed(1)} s ${message}`);
  const serverCount = options.servers ?? 2;
  const workspace = 'load';
  const total = options.clients * options.writes;
  const processCount = Math.ceil(options.clients / CLIENTS_PER_PROCESS);
  /** The indexes of the clients process p runs. */
  const clientsOf = (p: number) =>
    Array.from({ length: options.clients }, (_, i) => i).filter((i) => Math.floor(i / CLIENTS_PER_PROCESS) === p);
  const secret = randomBytes(24).toString('hex');
  const databaseName = `brain_store_load_${randomBytes(6).toString('hex')}`;
  const databaseUrl = `${options.pgUrl}/${databaseName}`;
  await admin(options.pgUrl, `CREATE DATABASE ${databaseName}`);
  const servers: ServerProcess[] = [];
  const children: ChildProcess[] = [];
  let sql: pg.Client | undefined;
  try {
    const migrator = await openPostgresDatabase({ connectionString: databaseUrl, maxConnections: 1 });
    await runMigrations(migrator);
    await migrator.close();
    const started = await Promise.allSettled(
      Array.from({ length: serverCount }, () =>
        startServerProcess({
          AUTH_SECRET: secret,
          DATABASE_URL: databaseUrl,
          // Every load client is a store of the one bot subject 'load' (3 streams each): the
          // per-subject caps against abuse (10 streams, 32 requests in flight) are raised here.
          SERVER_LIMITS: JSON.stringify({ maxStreamsPerSubject: 100_000, maxInFlightPerSubject: 100_000 }),
        }),
      ),
    );
    for (const outcome of started) if (outcome.status === 'fulfilled') servers.push(outcome.value);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    const urls = servers.map(urlOf);
    const token = await createAccessToken({ secret, workspaces: [workspace], ttlSeconds: 3_600, role: 'bot', subject: 'load' });

    log(`starting ${processCount} client processes for ${options.clients} stores, ${serverCount} server processes`);
    for (let p = 0; p < processCount; p++) {
      const child = fork(CHILD, [], {
        cwd: ROOT,
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, VITEST: '' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
    }
    await Promise.all(children.map((child) => nextMessage(child, 'ready', 60_000)));
    await Promise.all(
      children.map((child, p) => {
        const clients = clientsOf(p).map((i) => ({ name: `load-client-${i}`, url: urls[i % serverCount]! }));
        return answer(child, { type: 'open', clients, token, workspace, retryTime: 500 }, 60_000);
      }),
    );
    log(
      `${options.clients} stores open and in sync; ${options.clients} × ${options.writes} writes${options.intervalMs > 0 ? `, ${options.intervalMs} ms apart` : ''}`,
    );

    const cpuBefore = { servers: servers.map((server) => cpuMsOf(server.child.pid)), clients: children.map((child) => cpuMsOf(child.pid)) };
    const startAt = now() + 500;
    // Paced writers spread evenly over one interval (client i at i/clients of it), not all at once.
    const offsetsOf = (p: number) => clientsOf(p).map((i) => (options.intervalMs > 0 ? (options.intervalMs * i) / options.clients : 0));
    const written = (
      await Promise.all(
        children.map((child, p) =>
          answer<{ stores: StoreWrites[] }>(
            child,
            { type: 'write', writes: options.writes, startAt, intervalMs: options.intervalMs, offsets: offsetsOf(p) },
            options.convergeTimeoutMs,
          ),
        ),
      )
    ).flatMap((reply) => reply.stores);
    const acknowledged = written.flatMap((store) => store.ids);
    log(`${acknowledged.length} writes acknowledged; waiting for every store to see all ${total}`);

    const deadline = now() + options.convergeTimeoutMs;
    let converged = false;
    while (!converged && now() < deadline) {
      const counts = (
        await Promise.all(children.map((child) => answer<{ counts: number[] }>(child, { type: 'progress' }, 30_000)))
      ).flatMap((reply) => reply.counts);
      converged = counts.every((count) => count >= total);
      if (!converged) await sleep(100);
    }
    const cpuAfter = { servers: servers.map((server) => cpuMsOf(server.child.pid)), clients: children.map((child) => cpuMsOf(child.pid)) };
    log(converged ? 'every store saw every write' : `not converged within ${options.convergeTimeoutMs} ms`);

    const reports = (
      await Promise.all(children.map((child) => answer<{ stores: ClientReport[] }>(child, { type: 'report' }, 60_000)))
    ).flatMap((reply) => reply.stores);
    sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    const rows = (
      await sql.query<{ doc: Record<string, unknown>; deleted: boolean }>(
        "SELECT doc, deleted FROM brain_store_documents WHERE workspace_id = $1 AND collection = 'brainActions'",
        [workspace],
      )
    ).rows;

    // Figures: write → seen on each other client; write → acknowledged.
    const writtenAt = new Map<string, { at: number; by: string }>();
    const acknowledgement: number[] = [];
    let lastAcknowledged = startAt;
    for (const store of written) {
      store.ids.forEach((id, n) => {
        writtenAt.set(id, { at: store.writtenAt[n]!, by: store.name });
        acknowledgement.push(store.acknowledgedAt[n]! - store.writtenAt[n]!);
        lastAcknowledged = Math.max(lastAcknowledged, store.acknowledgedAt[n]!);
      });
    }
    const endToEnd: number[] = [];
    let lastSeen = startAt;
    const stores = reports.map((report) => {
      const seen = new Map(report.seen);
      let unseen = 0;
      for (const [id, write] of writtenAt) {
        const at = seen.get(id);
        if (at === undefined) unseen++;
        else {
          lastSeen = Math.max(lastSeen, at);
          if (write.by !== report.name) endToEnd.push(at - write.at);
        }
      }
      return { name: report.name, count: report.count, digest: report.digest, unseen };
    });
    const cpuDelta = (before: number[], after: number[]) => after.map((value, i) => Math.round(value - before[i]!));
    const acknowledgedMs = lastAcknowledged - startAt;
    const convergedMs = lastSeen - startAt;
    return {
      clients: options.clients,
      writes: options.writes,
      processes: processCount,
      servers: serverCount,
      acknowledged,
      server: {
        rows: rows.length,
        deleted: rows.filter((row) => row.deleted).length,
        ids: rows.map((row) => String(row.doc['id'])),
        digest: dataDigest(rows.map((row) => row.doc)),
      },
      stores,
      converged,
      figures: {
        acknowledgedMs: Math.round(acknowledgedMs),
        convergedMs: Math.round(convergedMs),
        acknowledgedPerSecond: Math.round((total * 1000) / acknowledgedMs),
        convergedPerSecond: Math.round((total * 1000) / convergedMs),
        endToEnd: summarize(endToEnd),
        acknowledgement: summarize(acknowledgement),
        serverCpuMs: cpuDelta(cpuBefore.servers, cpuAfter.servers),
        clientCpuMs: cpuDelta(cpuBefore.clients, cpuAfter.clients).reduce((sum, value) => sum + value, 0),
      },
    };
  } finally {
    await sql?.end().catch(() => undefined);
    await Promise.all(children.map(stopChild));
    await Promise.all(servers.map((server) => server.kill()));
    await admin(options.pgUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  }
}
