import { afterAll, describe, expect, it, vi } from 'vitest';
import { endpoints } from '../../../src/protocol/endpoints.ts';
import type { PullResponse, StreamEvent } from '../../../src/protocol/messages.ts';
import { CLIENT_HEADER, PROTOCOL_HEADER } from '../../../src/protocol/protocol-version.ts';
import { SERVER_TIME_HEADER } from '../../../src/protocol/server-time.ts';
import { startTestServer } from '../../helpers/sync-server.ts';
import { action, client, openStream } from '../fixtures.ts';

const decoder = new TextDecoder();
let probe!: ReadableStreamDefaultController<Uint8Array>;
new ReadableStream<Uint8Array>({ start: (controller) => void (probe = controller) });
/** Every frame any response body stream is given in this file's process. */
const enqueue = vi.spyOn(Object.getPrototypeOf(probe) as ReadableStreamDefaultController<Uint8Array>, 'enqueue');
const queued = (type: string) =>
  enqueue.mock.calls.filter(([chunk]) => chunk instanceof Uint8Array && decoder.decode(chunk).includes(`"type":"${type}"`)).length;

/**
 * Issue 10 item 6 (1,000 streams per instance): once a stream is open, its events go to the
 * Node response directly — no web-stream queue per stream and event — yet every frame arrives
 * whole, in order, after the framework's headers (CORS, protocol, server clock).
 */
describe('stream frames on a Node server', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('go to the response directly once it is open, after the same headers, RESYNC first', async () => {
    const server = await startTestServer({ backend: 'pglite', heartbeatMs: 100 });
    closers.push(() => server.close());
    const token = await server.token(['d1']);
    const writer = client(server.url, token);
    const stream = await openStream(server.url, 'brainActions', token, {
      headers: { [CLIENT_HEADER]: 'direct-client', origin: 'http://app.example' },
    });
    closers.push(() => stream.close());
    const { response, events } = stream;
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get(SERVER_TIME_HEADER)).not.toBeNull();
    expect(response.headers.get(PROTOCOL_HEADER)).not.toBeNull();
    expect(response.headers.get('access-control-allow-origin')).not.toBeNull();
    const firstMatching = (test: (event: StreamEvent) => boolean) => stream.firstMatching(test);
    await firstMatching((event) => event.type === 'RESYNC');
    expect(events[0]!.type).toBe('RESYNC');
    // Caught up by a pull through this instance (RxDB keeps a checkpoint only from a pull with
    // documents): the next change comes as documents.
    await writer.push('brainActions', [{ newDocumentState: action('d1') }]);
    const pulled = (await (
      await fetch(server.url + endpoints.pull('brainActions'), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', [CLIENT_HEADER]: 'direct-client' },
        body: JSON.stringify({ checkpoint: null, batchSize: 100 }),
      })
    ).json()) as PullResponse;
    const doc = action('d1');
    await writer.push('brainActions', [{ newDocumentState: doc }]);
    const event = await firstMatching((candidate) => candidate.type === 'CHANGES');
    if (event.type !== 'CHANGES') throw new Error('unreachable');
    expect(event.documents.map((each) => each.id)).toEqual([doc.id]);
    expect(event.base).toBe(pulled.checkpoint!.snap);
    await firstMatching((candidate) => candidate.type === 'HEARTBEAT');
    // The events after the opening RESYNC never went through a body stream's queue.
    expect(queued('CHANGES')).toBe(0);
    expect(queued('HEARTBEAT')).toBe(0);
    expect(queued('RESYNC')).toBeGreaterThanOrEqual(1);
    // Each frame arrived whole: one `data:` line of JSON per blank-line-separated frame.
    expect(stream.frames.every((frame) => frame.startsWith('data: ') && !frame.slice(6).includes('\n'))).toBe(true);
  }, 60_000);
});
