import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from '../../../src/protocol/endpoints.ts';
import { SyncHttpClient } from '../../../src/replication/sync-http-client.ts';
import { pullResponseSchema, type PullResponse } from '../../../src/protocol/messages.ts';
import { startTestServer, type TestServer } from '../../helpers/sync-server.ts';
import { action, client } from '../fixtures.ts';

/** Issue 10 item 4: pull and push answers travel compressed when the client accepts it. */
describe('compressed pull and push responses', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({ backend: 'pglite' });
    token = await server.token(['w1']);
    const docs = Array.from({ length: 200 }, () => action('w1'));
    expect(
      (
        await client(server.url, token).push(
          'brainActions',
          docs.map((doc) => ({ newDocumentState: doc })),
        )
      ).status,
    ).toBe(200);
  });
  afterAll(() => server.close());

  const pull = (headers: Record<string, string> = {}) =>
    fetch(server.url + endpoints.pull('brainActions'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ checkpoint: null, batchSize: 500 }),
    });

  it("Node's fetch asks for it by itself, gets gzip and reads the documents", async () => {
    const response = await pull();
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(((await response.json()) as PullResponse).documents).toHaveLength(200);
  });

  it('is smaller on the wire, and plain for a client that does not accept it', async () => {
    const plain = await pull({ 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const plainBytes = (await plain.arrayBuffer()).byteLength;
    // undici decompresses whatever it asked for; count the compressed bytes with a raw request
    const { request } = await import('node:http');
    const compressedBytes = await new Promise<number>((resolve, reject) => {
      const req = request(
        server.url + endpoints.pull('brainActions'),
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': 'gzip' },
        },
        (res) => {
          let total = 0;
          res.on('data', (chunk: Buffer) => (total += chunk.length));
          res.on('end', () => resolve(total));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ checkpoint: null, batchSize: 500 }));
    });
    expect(compressedBytes * 4).toBeLessThan(plainBytes);
  });

  it('the replication client reads compressed answers; push answers are compressed too', async () => {
    const http = new SyncHttpClient({ url: server.url, getToken: () => token });
    const page = await http.postJson(endpoints.pull('brainActions'), { checkpoint: null, batchSize: 500 }, pullResponseSchema);
    expect(page.documents).toHaveLength(200);
    const conflicts = Array.from({ length: 50 }, () => action('w1'));
    await client(server.url, token).push(
      'brainActions',
      conflicts.map((doc) => ({ newDocumentState: doc })),
    );
    // Resending creates over existing documents answers 50 conflicts: a body worth compressing.
    const response = await fetch(server.url + endpoints.push('brainActions'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: conflicts.map((doc) => ({ newDocumentState: { ...doc, reason: 'changed' } })) }),
    });
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(((await response.json()) as { conflicts: unknown[] }).conflicts).toHaveLength(50);
  });

  it('change streams stay uncompressed (events must not wait in a compressor)', async () => {
    const controller = new AbortController();
    const response = await fetch(server.url + endpoints.stream('brainActions'), {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    expect(response.headers.get('content-encoding')).toBeNull();
    controller.abort();
  });
});
