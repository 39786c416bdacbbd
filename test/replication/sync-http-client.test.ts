/**
 * The client checks every answer against the wire schemas (issue 21): a server of another
 * version, or a proxy rewriting the answer, is a typed BrainStoreError, never a TypeError.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isBrainStoreError, type BrainStoreError } from '../../src/errors/brain-store-error.ts';
import { pullResponseSchema, pushResponseSchema } from '../../src/protocol/messages.ts';
import { SyncHttpClient, type FetchLike } from '../../src/replication/sync-http-client.ts';
import { syncEventStream } from '../../src/replication/sync-event-stream.ts';

const CHECKPOINT = { server: 's1', snap: '10:10:', upto: null, tx: '0', seq: '0' };

function answering(status: number, body: string, headers: Record<string, string> = {}): FetchLike {
  return async () => new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } });
}

function clientFor(fetch: FetchLike): SyncHttpClient {
  return new SyncHttpClient({ url: 'http://sync.test', getToken: () => 't', fetch });
}

async function failure(promise: Promise<unknown>): Promise<BrainStoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isBrainStoreError(error)) throw new Error(`expected a BrainStoreError, got ${String(error)}`);
  return error;
}

describe('wire errors arriving at the client', () => {
  it('an unknown error code becomes the code its status stands for, the server code kept (regression, issue 21)', async () => {
    const body = JSON.stringify({ error: { code: 'QUOTA_EXCEEDED', message: 'monthly quota used up' } });
    const error = await failure(clientFor(answering(429, body, { 'retry-after': '30' })).request('/sync/x/pull', { method: 'POST' }));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.parameters).toMatchObject({ status: 429, serverCode: 'QUOTA_EXCEEDED', retryAfterSeconds: 30 });
    expect(error.message).toContain('monthly quota used up');

    const server = await failure(
      clientFor(answering(500, JSON.stringify({ error: { code: 'NEW_THING', message: 'x' } }))).request('/p', {}),
    );
    expect(server.code).toBe('NETWORK');
    expect(server.parameters['serverCode']).toBe('NEW_THING');
  });

  it('a known code passes through with its issues', async () => {
    const issues = [{ path: ['rows', 0, 'priority'], message: 'too big', code: 'too_big' }];
    const body = JSON.stringify({ error: { code: 'FORBIDDEN_ROLE', message: 'members may not', issues } });
    const error = await failure(clientFor(answering(403, body)).request('/p', {}));
    expect(error.code).toBe('FORBIDDEN_ROLE');
    expect(error.issues).toEqual(issues);
    expect(error.parameters['serverCode']).toBeUndefined();
  });

  it('a body that is not a wire error (a proxy page, a wrong shape) falls back to the status', async () => {
    expect((await failure(clientFor(answering(502, '<html>bad gateway</html>')).request('/p', {}))).code).toBe('NETWORK');
    expect((await failure(clientFor(answering(401, JSON.stringify({ error: 'nope' }))).request('/p', {}))).code).toBe('UNAUTHORIZED');
    expect((await failure(clientFor(answering(400, JSON.stringify({ error: { code: 7 } }))).request('/p', {}))).code).toBe('BAD_REQUEST');
  });
});

describe('answers checked against the schemas', () => {
  it('a pull page is read, its documents untouched (the same objects, extra fields kept)', async () => {
    const doc = { id: 'a1', _deleted: false, workspace_id: 'w1', extra: { nested: [1, 2] } };
    const page = await clientFor(answering(200, JSON.stringify({ documents: [doc], checkpoint: CHECKPOINT }))).postJson(
      '/sync/brainActions/pull',
      {},
      pullResponseSchema,
    );
    expect(page.documents).toEqual([doc]);
    expect(page.checkpoint).toEqual(CHECKPOINT);
  });

  it('a pull page without documents, or with a document lacking _deleted, is a PROTOCOL error naming the place', async () => {
    const missing = await failure(
      clientFor(answering(200, JSON.stringify({ checkpoint: null }))).postJson('/sync/brainActions/pull', {}, pullResponseSchema),
    );
    expect(missing.code).toBe('PROTOCOL');
    expect(missing.parameters['path']).toBe('/sync/brainActions/pull');
    expect(missing.issues.map((issue) => issue.path)).toContainEqual(['documents']);

    const bad = await failure(
      clientFor(
        answering(200, JSON.stringify({ documents: [{ id: 'a1', _deleted: false }, { id: 'a2' }], checkpoint: CHECKPOINT })),
      ).postJson('/p', {}, pullResponseSchema),
    );
    expect(bad.code).toBe('PROTOCOL');
    expect(bad.issues).toEqual([
      expect.objectContaining({ path: ['documents'], message: expect.stringMatching(/^item 1 must be a document/) }),
    ]);
  });

  it('a push answer with an unknown rejection code is a PROTOCOL error', async () => {
    const body = { conflicts: [], rejected: [{ id: 'a1', code: 'SOMETHING_NEW', message: 'm', master: null }] };
    const error = await failure(clientFor(answering(200, JSON.stringify(body))).postJson('/p', {}, pushResponseSchema));
    expect(error.code).toBe('PROTOCOL');
    expect(error.issues[0]?.path).toEqual(['rejected', 0, 'code']);
  });

  it('a 2xx answer that is not JSON is a PROTOCOL error, not a SyntaxError', async () => {
    const error = await failure(clientFor(answering(200, 'OK')).postJson('/p', {}, pullResponseSchema));
    expect(error.code).toBe('PROTOCOL');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('stream events checked against the schema', () => {
  it('a well-formed event arrives as is; an unreadable one is reported and answered as a poke', async () => {
    const frames = [
      { type: 'RESYNC' },
      { type: 'SOMETHING_NEW', payload: 1 },
      { type: 'CHANGES', base: '10:10:', documents: [{ id: 'a1', _deleted: false }], checkpoint: CHECKPOINT },
    ];
    const sse = frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`).join('') + 'data: {not json\n\n';
    const fetch: FetchLike = async () => new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    const errors: unknown[] = [];
    const events: unknown[] = [];
    await new Promise<void>((resolve) => {
      const subscription = syncEventStream({
        client: clientFor(fetch),
        path: '/sync/brainActions/stream',
        backoff: () => 60_000,
        onError: (error) => errors.push(error),
      }).subscribe((event) => {
        events.push(event);
        if (events.length === 4) {
          subscription.unsubscribe();
          resolve();
        }
      });
    });
    expect(events).toEqual([{ type: 'RESYNC' }, { type: 'CHANGE' }, frames[2], { type: 'CHANGE' }]);
    expect(errors).toHaveLength(2);
    expect(errors.every((error) => isBrainStoreError(error, 'PROTOCOL') || error instanceof SyntaxError)).toBe(true);
    expect(isBrainStoreError(errors[0], 'PROTOCOL')).toBe(true);
  });
});

describe('a request the server never answers', () => {
  it('fails as NETWORK after requestTimeoutMs instead of holding the sync forever; an answer that begins in time is read whole', async () => {
    // A real loopback server: one path never answers (a connection that died silently), the other answers slowly but in time.
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((request, response) => {
      if (request.url?.startsWith('/slow')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.flushHeaders();
        setTimeout(() => response.end(JSON.stringify({ documents: [], checkpoint: CHECKPOINT })), 400);
      }
    });
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new SyncHttpClient({ url, getToken: () => 't', requestTimeoutMs: 200 });
      const outcome = await Promise.race([
        client.postJson('/silent', {}, pullResponseSchema).then(
          () => 'answered',
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('hung'), 10_000)),
      ]);
      expect(isBrainStoreError(outcome, 'NETWORK')).toBe(true);
      expect(String((outcome as BrainStoreError).cause)).toMatch(/no answer within 200 ms/);
      // The timer covers the wait for the headers, not the body that follows (a change stream's).
      expect(await client.postJson('/slow', {}, pullResponseSchema)).toEqual({ documents: [], checkpoint: CHECKPOINT });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
