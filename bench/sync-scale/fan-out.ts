/**
 * One write reaching N live stream clients: the server(s) each in their own process, the
 * clients spread over worker processes (lightweight protocol clients, stream-clients.ts).
 * Latency is push start (parent) → the document in a client (CHANGES applied or pulled after
 * a poke), wall clock on one machine. SQL statements and server CPU per change come from the
 * server processes themselves (their SQL meter and process.cpuUsage()).
 */
import type { ChildProcess } from 'node:child_process';
import { endpoints } from '../../src/protocol/endpoints.ts';
import type { PushResponse } from '../../src/protocol/messages.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../src/protocol/protocol-version.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { percentile, round, settle } from '../lib/stats.ts';
import { nextMessage } from '../../harness/next-message.ts';
import { forkClients, forkServer, stopChild, type ServerProcess } from './processes.ts';

export const FANOUT_WORKSPACE = 'w-scale';
const COLLECTION = 'brainActions';
const CLIENTS_PER_WORKER = 250;
const ARRIVAL_TIMEOUT_MS = 15_000;

export interface FanOutResult {
  readonly clients: number;
  readonly servers: number;
  readonly writes: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Deliveries by CHANGES event vs by pull after a poke. */
  readonly fed: number;
  readonly pulled: number;
  readonly clientPullsPerChange: number;
  readonly statementsPerChange: number;
  readonly transactionsPerChange: number;
  readonly byStatementPerChange: Record<string, number>;
  /** Server CPU (user + system), summed over the instances, per change. */
  readonly serverCpuMsPerChange: number;
  readonly serverCpuMsPerChangeByInstance: number[];
  readonly wallMsPerChange: number;
}

const wallNow = () => performance.timeOrigin + performance.now();

async function push(url: string, token: string, seed: number): Promise<string> {
  const [doc] = pendingActions(1, { workspace_id: FANOUT_WORKSPACE, newest: Date.now() - 1_000, seed });
  const response = await fetch(`${url}${endpoints.push(COLLECTION)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), 'content-type': 'application/json' },
    body: JSON.stringify({ rows: [{ newDocumentState: { ...doc!, _deleted: false }, assumedMasterState: null }] }),
  });
  const body = (await response.json()) as PushResponse;
  if (!response.ok || body.conflicts.length > 0 || body.rejected.length > 0)
    throw new Error(`push ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return doc!.id;
}

export async function benchFanOut(options: {
  readonly pgUrl: string;
  readonly secret: string;
  readonly token: string;
  readonly clients: number;
  readonly servers: number;
  readonly writes: number;
  readonly warmups: number;
  readonly log: (message: string) => void;
  readonly seedBase: number;
}): Promise<FanOutResult> {
  const servers: ServerProcess[] = [];
  const workers: ChildProcess[] = [];
  try {
    for (let i = 0; i < options.servers; i++) servers.push(await forkServer(options.pgUrl, options.secret));
    const urls = servers.map((server) => server.url);
    const workerCount = Math.max(1, Math.ceil(options.clients / CLIENTS_PER_WORKER));
    const readies: Promise<unknown>[] = [];
    for (let w = 0; w < workerCount; w++) {
      const count = Math.floor(options.clients / workerCount) + (w < options.clients % workerCount ? 1 : 0);
      const worker = forkClients();
      workers.push(worker);
      readies.push(nextMessage(worker, 'ready', 120_000));
      worker.send({ type: 'setup', urls, token: options.token, count, prefix: `c${options.seedBase}-${w}` });
    }
    await Promise.all(readies);
    options.log(`${options.clients} clients on ${options.servers} instance(s) ready in ${workerCount} workers`);
    await settle(500);

    const latencies: number[] = [];
    let fed = 0;
    let pulled = 0;
    let clientPulls = 0;
    const writeOnce = async (seed: number, keep: boolean) => {
      const arrived = workers.map((worker) =>
        nextMessage<{ at: number[]; fed: number; pulled: number; pulls: number }>(worker, 'arrived', ARRIVAL_TIMEOUT_MS),
      );
      // `expect` goes out before the push; arrivals before it are kept by the worker anyway.
      const start = wallNow();
      const id = await push(servers[0]!.url, options.token, seed);
      for (const worker of workers) worker.send({ type: 'expect', id });
      const answers = await Promise.all(arrived);
      if (!keep) return;
      for (const answer of answers) {
        for (const at of answer.at) latencies.push(at - start);
        fed += answer.fed;
        pulled += answer.pulled;
        clientPulls += answer.pulls;
      }
    };
    for (let i = 0; i < options.warmups; i++) {
      await writeOnce(options.seedBase * 1_000 + i, false);
      await settle(50);
    }
    await settle(300);
    for (const server of servers) await server.reset();
    const before = await Promise.all(servers.map((server) => server.stats()));
    const wallStart = performance.now();
    for (let i = 0; i < options.writes; i++) {
      await writeOnce(options.seedBase * 1_000 + 100 + i, true);
      await settle(20);
    }
    const wallMs = performance.now() - wallStart;
    // Let trailing work (the feed step on other instances) land in the figures.
    await settle(200);
    const after = await Promise.all(servers.map((server) => server.stats()));
    const cpuByInstance = after.map((stats, i) => (stats.cpu.user + stats.cpu.system - before[i]!.cpu.user - before[i]!.cpu.system) / 1000);
    const statements = after.reduce((sum, stats) => sum + stats.meter.statements, 0);
    const transactions = after.reduce((sum, stats) => sum + stats.meter.transactions, 0);
    const byStatement: Record<string, number> = {};
    for (const stats of after)
      for (const [label, { count }] of Object.entries(stats.meter.byStatement))
        byStatement[label] = round((byStatement[label] ?? 0) + count / options.writes, 2);
    const n = options.writes;
    return {
      clients: options.clients,
      servers: options.servers,
      writes: n,
      p50: round(percentile(latencies, 50), 1),
      p99: round(percentile(latencies, 99), 1),
      max: round(Math.max(...latencies), 1),
      fed,
      pulled,
      clientPullsPerChange: round(clientPulls / n, 1),
      statementsPerChange: round(statements / n, 2),
      transactionsPerChange: round(transactions / n, 2),
      byStatementPerChange: byStatement,
      serverCpuMsPerChange: round(cpuByInstance.reduce((a, b) => a + b, 0) / n, 2),
      serverCpuMsPerChangeByInstance: cpuByInstance.map((ms) => round(ms / n, 2)),
      wallMsPerChange: round(wallMs / n, 1),
    };
  } finally {
    await Promise.all(workers.map((worker) => stopChild(worker)));
    await Promise.all(servers.map((server) => server.stop()));
  }
}
