/**
 * Readers that never read (issue 23 §2): change streams whose client stopped reading, against
 * a real server process (PGlite in memory) while a burst of changes is fed to them. What the
 * kernel holds per stalled stream — the host's TCP memory (`/proc/net/sockstat`, every socket
 * of the loopback pair: the server's send queue and the reader's receive queue) and the
 * server's own sockets (`ss -tm`: their send queues) — and how many streams the server closed.
 */
import { randomBytes } from 'node:crypto';
import { createAccessToken } from '../src/server/auth/access-token.ts';
import { DAY_MS, MAX_TIME } from '../src/collections/fields.ts';
import { endpoints } from '../src/protocol/endpoints.ts';
import { CLIENT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../src/protocol/protocol-version.ts';
import { DEFAULT_LIMITS } from '../src/server/http/limits/server-limits.ts';
import { startServerProcess, urlOf } from '../harness/server-process.ts';
import { kernelTcpBytes, openIdleStream, socketsOnPort, type IdleStream } from '../harness/idle-streams.ts';
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { info } from './lib/bench-module.ts';
import { round } from './lib/stats.ts';

const WORKSPACE = 'idle';
const ROWS_PER_PUSH = 6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** An action of ~1.4 KB: 6 of them make a change frame of ~8 KiB, and three coalesced by the feed stay under the 32 KiB a stream is fed at once. */
function largeAction(): Record<string, unknown> {
  counter += 1;
  const created = Date.now() + counter;
  return {
    id: `slow-${counter.toString().padStart(7, '0')}`,
    workspace_id: WORKSPACE,
    contact_id: 'c1',
    action_type: 'follow_up',
    priority: 50,
    urgency: 'today',
    reason: 'r'.repeat(1_000),
    status: 'pending',
    status_at: created,
    created_at: created,
    expires_at: created + DAY_MS,
    snoozed_until: 0,
    priority_rank: 50,
    created_desc: MAX_TIME - created,
    _deleted: false,
  };
}

async function post(url: string, path: string, token: string, clientId: string, body: unknown): Promise<Response> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      [CLIENT_HEADER]: clientId,
      [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response;
}

/** A bot's push; every row must be accepted. */
async function push(url: string, token: string, body: { rows: unknown[] }): Promise<void> {
  const answer = (await (await post(url, endpoints.push('brainActions'), token, 'writer', body)).json()) as { rejected: unknown[] };
  if (answer.rejected.length > 0) throw new Error(`push refused: ${JSON.stringify(answer.rejected[0])}`);
}

interface IdleRun {
  readonly streams: number;
  /** Bytes of changes written to the workspace during the burst. */
  readonly burstBytes: number;
  /** Host TCP memory added per stalled stream (both ends of the loopback pair). */
  readonly kernelPerStream: number;
  /** The server's sockets: mean and largest send queue, and mean kernel memory (skmem w + r). */
  readonly serverSendQueueMean: number;
  readonly serverSendQueueMax: number;
  readonly serverKernelMean: number;
  /** Streams the server disconnected within 50 s of the burst (their server-side socket gone). */
  readonly closed: number;
  /** Host TCP memory per stream left then. */
  readonly kernelAfterClose: number;
}

async function idleRun(
  streamCount: number,
  batches: number,
  log: (line: string) => void,
  limits: Record<string, unknown>,
): Promise<IdleRun> {
  const secret = randomBytes(24).toString('hex');
  const server = await startServerProcess({
    AUTH_SECRET: secret,
    SERVER_LIMITS: JSON.stringify({ maxStreamsPerSubject: 100_000, maxInFlightPerSubject: 100_000, ...limits }),
  });
  const streams: IdleStream[] = [];
  try {
    const url = urlOf(server);
    const port = Number(new URL(url).port);
    const token = await createAccessToken({ secret, workspaces: [WORKSPACE], ttlSeconds: 3_600, role: 'member', subject: 'reader' });
    const writer = await createAccessToken({ secret, workspaces: [WORKSPACE], ttlSeconds: 3_600, role: 'bot', subject: 'writer' });
    await push(url, writer, { rows: [{ newDocumentState: largeAction(), assumedMasterState: null }] });
    for (let i = 0; i < streamCount; i++) {
      const clientId = `idle-${i}`;
      streams.push(await openIdleStream(url, token, clientId));
      // One pull with the stream's client id: the server now feeds it documents, not pokes.
      await post(url, endpoints.pull('brainActions'), token, clientId, { checkpoint: null, batchSize: 10 });
    }
    for (const stream of streams) stream.stopReading();
    await sleep(500);
    const before = kernelTcpBytes();
    let burstBytes = 0;
    for (let batch = 0; batch < batches; batch++) {
      const rows = Array.from({ length: ROWS_PER_PUSH }, () => ({ newDocumentState: largeAction(), assumedMasterState: null }));
      burstBytes += JSON.stringify(rows).length;
      await push(url, writer, { rows });
    }
    // The last frames reach the kernel.
    await sleep(3_000);
    const after = kernelTcpBytes();
    const readers = new Set(streams.map((stream) => `${stream.socket.localAddress}:${stream.socket.localPort}`));
    const serverSides = () => socketsOnPort(port).filter((socket) => readers.has(socket.peer));
    const sockets = serverSides();
    const queues = sockets.map((socket) => socket.sendQueue);
    // A stream asked to pull is disconnected two heartbeats (15 s each by default) after the poke.
    const deadline = Date.now() + 50_000;
    while (serverSides().length > 0 && Date.now() < deadline) await sleep(1_000);
    const open = serverSides().length;
    const run: IdleRun = {
      streams: streamCount,
      burstBytes,
      kernelPerStream: Math.max(0, after - before) / streamCount,
      serverSendQueueMean: queues.length === 0 ? 0 : queues.reduce((a, b) => a + b, 0) / queues.length,
      serverSendQueueMax: Math.max(0, ...queues),
      serverKernelMean: sockets.length === 0 ? 0 : sockets.reduce((a, socket) => a + socket.kernelBytes, 0) / sockets.length,
      closed: streamCount - open,
      kernelAfterClose: Math.max(0, kernelTcpBytes() - before) / streamCount,
    };
    log(`  ${JSON.stringify(run)}`);
    return run;
  } finally {
    for (const stream of streams) stream.socket.destroy();
    await server.kill();
  }
}

const slowReaders: BenchModule = {
  name: 'slow-readers',
  description: 'kernel memory per change stream whose reader stopped reading, during a burst of changes (issue 23)',
  async unavailable() {
    return process.platform === 'linux' ? undefined : 'reads /proc/net/sockstat and ss (Linux only)';
  },
  async run({ log, scale }) {
    const streams = scale(100, 10);
    const batches = scale(500, 50);
    log(`slow-readers: ${streams} stalled streams, ${batches} pushes of ${ROWS_PER_PUSH} × 1.4 KB`);
    const budget = DEFAULT_LIMITS.maxStreamOwedBytes;
    const run = await idleRun(streams, batches, log, {});
    const note = `${run.streams} streams stopped reading after one pull, then ${round(run.burstBytes / 1e6, 1)} MB of changes in their workspace; PGlite server process, loopback`;
    const rows: BenchRow[] = [
      info({
        id: 'idle-stream.kernel-per-stream',
        name: 'host TCP memory per stalled stream (sockstat, both ends)',
        subject: 'pglite',
        value: round(run.kernelPerStream / 1024, 0),
        unit: 'KiB',
        note: `${note}; budget (maxStreamOwedBytes) ${budget / 1024} KiB`,
        details: { ...run },
      }),
      info({
        id: 'idle-stream.server-send-queue',
        name: 'server socket send queue per stalled stream (ss, mean)',
        subject: 'pglite',
        value: round(run.serverSendQueueMean / 1024, 0),
        unit: 'KiB',
        note: `largest ${round(run.serverSendQueueMax / 1024, 0)} KiB; kernel memory of the server's sockets ${round(run.serverKernelMean / 1024, 0)} KiB mean`,
      }),
      info({
        id: 'idle-stream.closed',
        name: 'stalled streams the server disconnected within 50 s',
        subject: 'pglite',
        value: run.closed,
        unit: 'streams',
        note: `of ${run.streams}; host TCP memory per stream left then ${round(run.kernelAfterClose / 1024, 0)} KiB`,
      }),
    ];
    return rows;
  },
};

export default slowReaders;
