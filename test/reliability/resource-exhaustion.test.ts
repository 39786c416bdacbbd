import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_IDLE_MS } from '../../src/server/http/read-body-text.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { action, client } from '../server/fixtures.ts';

/**
 * Issue 11 §5: server memory stays bounded under many concurrent oversized or slow
 * requests, on real sockets over loopback, and the server keeps serving meanwhile. The
 * server runs in this process, so its memory is this process's: Buffers (request bodies)
 * are counted in `arrayBuffers`.
 */
const LIMIT = 256 * 1024;
const CONNECTIONS = Number(process.env['EXHAUSTION_CONNECTIONS'] ?? 128);
const MB = 1024 * 1024;

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
    socket.setNoDelay(true);
  });
}

function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.write(data, () => resolve());
  });
}

/** Everything the server sent on a socket, as text, and whether the socket closed. */
function received(socket: Socket): { readonly text: string; readonly closed: boolean } {
  const state = { text: '', closed: false };
  socket.on('data', (chunk: Buffer) => (state.text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (state.closed = true));
  return state;
}

/** Waits until every socket has an answer or is closed (bounded). */
async function answered(states: readonly { readonly text: string; readonly closed: boolean }[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (states.some((state) => !state.text && !state.closed) && Date.now() < deadline) await settle(50);
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until no socket has changed state (answered or closed) for `quietMs` (bounded). Until
 * the server has reached every connection, each one it has not yet refused holds its last
 * socket reads in Node's stream buffers (~64 KiB, before the budget sees them), and a refused
 * one holds them until its socket closes: on a loaded machine, 500 ms after the uploads that
 * backlog alone measured 5-8 MiB and was gone a second later.
 */
async function quiet(states: readonly { readonly text: string; readonly closed: boolean }[], quietMs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const signature = () => states.map((state) => `${state.text ? 'a' : '-'}${state.closed ? 'c' : '-'}`).join('');
  let last = signature();
  let since = Date.now();
  while (Date.now() - since < quietMs && Date.now() < deadline) {
    await settle(50);
    const now = signature();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}

// Live memory, not garbage awaiting collection: collect first (gc exposed for this file only).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function liveMemory(): NodeJS.MemoryUsage {
  gc();
  gc();
  return process.memoryUsage();
}

describe('resource exhaustion on real sockets', () => {
  let server: TestServer;
  let token: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = await startTestServer({ backend: 'pglite', maxBodyBytes: LIMIT, rateLimit: false });
    token = await server.token(['w1']);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server.close();
  });

  const head = (path: string, extra = '') =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n${extra}`;

  it(`holds at most a bounded budget of body bytes while ${CONNECTIONS} clients upload just under the limit and stall`, async () => {
    const before = liveMemory().arrayBuffers;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const answers = await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const socket = await open(server.url);
        sockets.push(socket);
        const answer = received(socket);
        await write(socket, head('/sync/brainActions/push', 'Transfer-Encoding: chunked\r\n\r\n'));
        // 3 of 4 chunks of the limit, then silence: the request never ends.
        for (let sent = 0; sent + chunk.length < LIMIT; sent += chunk.length) {
          await write(socket, `${chunk.length.toString(16)}\r\n`);
          await write(socket, chunk);
          await write(socket, '\r\n');
        }
        return answer;
      }),
    );
    // Measured once the server has answered every upload it will refuse, well before the
    // stalled ones are dropped (BODY_IDLE_MS), so what is left is what the stalled ones hold.
    await quiet(answers, 1_000, BODY_IDLE_MS / 2);
    const held = liveMemory().arrayBuffers - before;
    // Without the shared budget every stalled upload holds its bytes: CONNECTIONS × 192 KiB (24 MiB for 128).
    console.info(`[exhaustion] ${CONNECTIONS} stalled uploads: ${(held / MB).toFixed(1)} MiB of bodies held`);
    expect(held, `held ${(held / MB).toFixed(1)} MiB`).toBeLessThan(4 * LIMIT + 4 * MB);
    const refused = answers.filter((answer) => answer.text.startsWith('HTTP/1.1 429')).length;
    expect(refused).toBeGreaterThan(0);
    for (const answer of answers) expect(answer.text).not.toMatch(/^HTTP\/1\.1 5/);
    // The server still answers reads while the uploads hang.
    expect((await client(server.url, token).pull('brainActions', null)).status).toBe(200);
    for (const socket of sockets.splice(0)) socket.destroy();
    await settle(200);
    // Once those sockets are gone, their budget is back: a normal push is accepted.
    expect((await client(server.url, token).push('brainActions', [{ newDocumentState: action('w1') }])).status).toBe(200);
  }, 60_000);

  it(`refuses ${CONNECTIONS} oversized bodies at once with 413, declared or chunked, buffering none of them`, async () => {
    // One client-side buffer for all sockets: this process's memory is the server's too.
    const big = Buffer.alloc(LIMIT + 1, 0x20);
    const before = liveMemory().arrayBuffers;
    const answers = await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, i) => {
        const socket = await open(server.url);
        sockets.push(socket);
        const answer = received(socket);
        if (i % 2 === 0) {
          // A declared length far past the limit: refused before a byte of body is read.
          await write(socket, head('/sync/brainActions/push', `Content-Length: ${100 * LIMIT}\r\n\r\n`));
          await write(socket, big.subarray(0, 16 * 1024));
        } else {
          await write(socket, head('/sync/brainActions/pull', 'Transfer-Encoding: chunked\r\n\r\n'));
          await write(socket, `${big.length.toString(16)}\r\n`);
          await write(socket, big);
          await write(socket, '\r\n0\r\n\r\n');
        }
        return answer;
      }),
    );
    await answered(answers);
    const held = liveMemory().arrayBuffers - before;
    const codes = answers.map((answer) => answer.text.slice(9, 12) || 'closed');
    console.info(`[exhaustion] ${CONNECTIONS} oversized bodies: ${(held / MB).toFixed(1)} MiB held; answers ${JSON.stringify(codes)}`);
    expect(held, `held ${(held / MB).toFixed(1)} MiB`).toBeLessThan(4 * LIMIT + 4 * MB);
    for (const answer of answers) expect(answer.text).toMatch(/^HTTP\/1\.1 (413|429)/);
    for (const socket of sockets.splice(0)) socket.destroy();
  }, 60_000);

  it(`keeps serving while ${CONNECTIONS * 3} slowloris connections trickle their headers`, async () => {
    const before = liveMemory();
    const slow = await Promise.all(
      Array.from({ length: CONNECTIONS * 3 }, async () => {
        const socket = await open(server.url);
        sockets.push(socket);
        received(socket);
        await write(socket, 'POST /sync/brainActions/pull HTTP/1.1\r\nHost: x\r\n');
        return socket;
      }),
    );
    const api = client(server.url, token);
    for (let round = 0; round < 10; round++) {
      for (const socket of slow) void write(socket, `X-Slow-${round}: 1\r\n`);
      expect((await api.pull('brainActions', null)).status).toBe(200);
      await settle(100);
    }
    const after = liveMemory();
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(8 * MB);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(64 * MB);
    for (const socket of sockets.splice(0)) socket.destroy();
  }, 60_000);

  it(
    'drops an upload that stalls, so stalled clients cannot hold the body budget for long',
    async () => {
      const stalled = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const socket = await open(server.url);
          sockets.push(socket);
          const answer = received(socket);
          await write(socket, head('/sync/brainActions/push', 'Transfer-Encoding: chunked\r\n\r\n'));
          const start = '{"rows":[';
          await write(socket, `${start.length.toString(16)}\r\n${start}\r\n`);
          return answer;
        }),
      );
      // Node alone would keep them until its requestTimeout (300 s).
      await answered(stalled, BODY_IDLE_MS + 10_000);
      for (const answer of stalled)
        expect(answer.text.slice(0, 12) || (answer.closed ? 'closed' : 'open')).toMatch(/^(HTTP\/1\.1 4|closed)/);
      for (const socket of sockets.splice(0)) socket.destroy();
    },
    BODY_IDLE_MS + 30_000,
  );
});
