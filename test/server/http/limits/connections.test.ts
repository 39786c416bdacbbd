import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, urlOf, type ServerProcess } from '../../../../harness/server-process.ts';
import { until } from '../../../../harness/until.ts';
import { createAccessToken } from '../../../../src/server/auth/access-token.ts';
import { endpoints } from '../../../../src/protocol/endpoints.ts';
import { CLIENT_HEADER } from '../../../../src/protocol/protocol-version.ts';
import { defaultMaxConnections } from '../../../../src/server/http/limits/server-limits.ts';
import { createScratchPostgresDatabase, describeOnPostgres } from '../../../helpers/sync-server.ts';

/**
 * Issue 23 §1: connection and stream limits, on real sockets against a server in its own
 * process (the connection cap and timeouts are the process's). Lowered limits keep it short:
 * 40 connections, 2 s for headers, 4 KiB per second of body, 10 refused tokens per address.
 */
const secret = randomBytes(24).toString('hex');
const LIMITS = {
  maxConnections: 40,
  maxStreamsPerSubject: 10,
  headersTimeoutMs: 2_000,
  bodyMinBytes: 4_096,
  bodyIntervalMs: 1_000,
  maxUnauthenticatedPerAddress: 10,
  maxInFlightPerSubject: 2,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** What the server sent on a socket and whether it closed. */
function watch(socket: Socket) {
  const state = { text: '', closed: false };
  socket.on('data', (chunk: Buffer) => (state.text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (state.closed = true));
  return state;
}

describe('connection and stream limits of a server process', () => {
  let server: ServerProcess;
  let url: string;
  const sockets: Socket[] = [];
  const token = (subject: string) => createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 600, role: 'member', subject });
  beforeAll(async () => {
    server = await startServerProcess({ AUTH_SECRET: secret, SERVER_LIMITS: JSON.stringify(LIMITS) });
    url = urlOf(server);
  }, 90_000);
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server?.kill();
  });

  it('derives the default connection cap from the open-file limit, below it', () => {
    expect(defaultMaxConnections(20_000)).toBe(19_744);
    expect(defaultMaxConnections(100)).toBe(64);
    expect(defaultMaxConnections(undefined)).toBe(4_096);
  });

  it('answers connections past the cap 503 with Retry-After, and serves again once they close', async () => {
    const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => open(url)));
    sockets.push(...held);
    held.forEach(watch);
    await sleep(200);
    const answer = await fetch(url + endpoints.health);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    for (const socket of held) socket.destroy();
    await sleep(300);
    expect((await fetch(url + endpoints.health)).status).toBe(200);
  }, 30_000);

  it('closes connections that do not finish their headers within headersTimeoutMs', async () => {
    const slow = await Promise.all(Array.from({ length: 20 }, () => open(url)));
    sockets.push(...slow);
    const states = slow.map(watch);
    for (const socket of slow) socket.write('POST /sync/brainActions/pull HTTP/1.1\r\nHost: x\r\n');
    // Trickle a header now and then: an idle timeout would not catch these.
    const trickle = setInterval(() => slow.forEach((socket, i) => !socket.destroyed && socket.write(`X-${i}: 1\r\n`)), 500);
    await until(
      () => states.every((state) => state.closed),
      () => `every slow-header connection to close (${states.filter((state) => !state.closed).length} still open)`,
      { timeoutMs: LIMITS.headersTimeoutMs + 6_000 },
    ).finally(() => clearInterval(trickle));
    expect((await fetch(url + endpoints.health)).status).toBe(200);
  }, 30_000);

  it('refuses a body that arrives slower than bodyMinBytes per bodyIntervalMs, and closes its connection', async () => {
    const socket = await open(url);
    sockets.push(socket);
    const state = watch(socket);
    const bearer = await token('trickler');
    socket.write(
      `POST /sync/brainActions/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"rows":[`,
    );
    const trickle = setInterval(() => !socket.destroyed && socket.write(' '), 200);
    await until(() => state.closed, 'the server to close the trickled body’s connection', {
      timeoutMs: LIMITS.bodyIntervalMs * 2 + 4_000,
    }).finally(() => clearInterval(trickle));
    expect(state.text).toMatch(/^HTTP\/1\.1 400/);
    expect(state.text, state.text).toContain('too slow');
  }, 30_000);

  it(`caps change streams at ${LIMITS.maxStreamsPerSubject} per subject (429 beyond), replaces a client's own reconnect, and leaves other subjects alone`, async () => {
    const bearer = await token('hoarder');
    const opened: AbortController[] = [];
    const openStream = async (bearerToken: string, clientId: string) => {
      const controller = new AbortController();
      opened.push(controller);
      const response = await fetch(url + endpoints.stream('brainActions'), {
        headers: { authorization: `Bearer ${bearerToken}`, [CLIENT_HEADER]: clientId },
        signal: controller.signal,
      });
      return response;
    };
    const statuses: number[] = [];
    for (let i = 0; i < LIMITS.maxStreamsPerSubject + 3; i++) statuses.push((await openStream(bearer, `c${i}`)).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(LIMITS.maxStreamsPerSubject);
    const refused = await openStream(bearer, 'another');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    // The same client reconnecting replaces its earlier stream instead of being refused.
    expect((await openStream(bearer, 'c0')).status).toBe(200);
    // Another member is not affected.
    expect((await openStream(await token('someone-else'), 'x')).status).toBe(200);
    for (const controller of opened) controller.abort();
  }, 30_000);

  // Last: it blocks this test process's address for the rest of the window.
  it('answers 429 to an address after too many refused tokens, before verifying the next', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMITS.maxUnauthenticatedPerAddress + 5; i++) {
      const response = await fetch(url + endpoints.session, { headers: { authorization: `Bearer forged.${i}.token` } });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, LIMITS.maxUnauthenticatedPerAddress).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(LIMITS.maxUnauthenticatedPerAddress).every((status) => status === 429)).toBe(true);
  }, 30_000);
});

// PGlite answers a query without yielding to the event loop, so requests never overlap on it:
// requests in flight are a PostgreSQL matter.
await describeOnPostgres('requests in flight per subject, on a PostgreSQL server process', () => {
  let server: ServerProcess;
  let url: string;
  let database: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    database = await createScratchPostgresDatabase();
    server = await startServerProcess({ AUTH_SECRET: secret, DATABASE_URL: database.url, SERVER_LIMITS: JSON.stringify(LIMITS) });
    url = urlOf(server);
  }, 90_000);
  afterAll(async () => {
    await server?.kill();
    await database?.drop();
  });

  it(`answers at most ${LIMITS.maxInFlightPerSubject} requests of one subject at once (429 for the rest, retry in 1 s)`, async () => {
    const bearer = await createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 600, role: 'member', subject: 'busy' });
    const pull = () =>
      fetch(url + endpoints.pull('brainActions'), {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ checkpoint: null, batchSize: 100 }),
      });
    const answers = await Promise.all(Array.from({ length: 30 }, pull));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses).toContain(429);
    expect(statuses).toContain(200);
    expect(answers.find((answer) => answer.status === 429)!.headers.get('retry-after')).toBe('1');
  }, 30_000);
});
