import { describe, expect, it, vi } from 'vitest';
import { fakeClock } from '../helpers/fake-clock.ts';
import { endpoints } from '../../src/protocol/endpoints.ts';
import { SyncHttpClient } from '../../src/replication/sync-http-client.ts';
import { syncEventStream } from '../../src/replication/sync-event-stream.ts';
import { startTestServer } from '../helpers/sync-server.ts';
import { action, client } from '../server/fixtures.ts';
import { firstMatching, openSyncedStore, sync } from './sync-fixtures.ts';

/**
 * Issue 23: a client whose change stream the server refuses (429 past `maxStreamsPerSubject`,
 * with Retry-After) keeps syncing — it pulls every `pollMs` while refused — and asks for the
 * stream again after Retry-After plus up to half of it (jitter). Before, it retried the stream
 * on its backoff, refused each time, and heard of no server change meanwhile.
 */
const STREAM = endpoints.stream('brainActions');
const encoder = new TextEncoder();

describe('a change stream the server refuses', () => {
  it('pulls at once and every pollMs while refused, asks again after Retry-After with jitter, and stops polling once admitted', async () => {
    const clock = fakeClock(1_800_000_000_000);
    const t0 = Date.now();
    const asked: number[] = [];
    let admit = false;
    const fetch = (_url: string, init?: RequestInit): Promise<Response> => {
      asked.push(Date.now() - t0);
      if (!admit) {
        const body = JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'at most 1 change streams per token and per subject' } });
        return Promise.resolve(new Response(body, { status: 429, headers: { 'retry-after': '30', 'content-type': 'application/json' } }));
      }
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('data: {"type":"RESYNC"}\n\n'));
          init?.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
        },
      });
      return Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
    };
    const refusals: unknown[] = [];
    const events: number[] = [];
    const subscription = syncEventStream({
      client: new SyncHttpClient({ url: 'http://sync.example', getToken: () => Promise.resolve('token'), fetch }),
      path: STREAM,
      backoff: () => 1_000,
      random: () => 0.5,
      pollMs: 2_000,
      scheduler: clock.scheduler,
      onError: (error) => refusals.push(error),
    }).subscribe((event) => {
      expect(event.type).toBe('RESYNC');
      events.push(Date.now() - t0);
    });
    try {
      await clock.advance(30_000);
      // Refused at 0: a pull at once and every 2 s; not asked again before Retry-After.
      expect(asked).toEqual([0]);
      expect(refusals).toMatchObject([{ code: 'RATE_LIMITED', parameters: { retryAfterSeconds: 30 } }]);
      expect(events).toEqual(Array.from({ length: 16 }, (_, i) => i * 2_000));
      admit = true;
      // 30 s × (1 + 0.5 / 2): asked again at 37.5 s, admitted; its RESYNC, then no more polling.
      await clock.advance(30_000);
      expect(asked).toEqual([0, 37_500]);
      expect(events.filter((at) => at > 30_000)).toEqual([32_000, 34_000, 36_000, 37_500]);
    } finally {
      subscription.unsubscribe();
      clock.restore();
    }
  });
});

describe('two clients of one subject on a server with maxStreamsPerSubject 1', () => {
  it('the refused one receives a server write within the poll interval', async () => {
    const server = await startTestServer({ backend: 'pglite', limits: { maxStreamsPerSubject: 1 } });
    try {
      const ws = 'refused-stream';
      const token = await server.token([ws]);
      const answers: { client: string; status: number }[] = [];
      const counting =
        (name: string) =>
        async (input: string, init?: RequestInit): Promise<Response> => {
          const response = await fetch(input, init);
          if (input.endsWith(STREAM)) answers.push({ client: name, status: response.status });
          return response;
        };
      const streamed = (name: string, status: number) => answers.some((answer) => answer.client === name && answer.status === status);
      const first = await openSyncedStore();
      const second = await openSyncedStore();
      const syncFirst = sync(first, { url: server.url, token, collections: ['brainActions'], fetch: counting('first') });
      await vi.waitFor(() => expect(streamed('first', 200)).toBe(true), { timeout: 20_000 });
      const syncSecond = sync(second, { url: server.url, token, collections: ['brainActions'], fetch: counting('second') });
      await vi.waitFor(() => expect(streamed('second', 429)).toBe(true), { timeout: 20_000 });
      await syncSecond.awaitInSync();

      const written = action(ws, { created_at: Date.now() });
      expect((await client(server.url, token).push('brainActions', [{ newDocumentState: written }])).body.rejected).toEqual([]);
      // Within the 2 s poll interval (and a pull), far before the stream's Retry-After (30 s).
      const arrived = firstMatching(second.database.brainActions.findOne(written['id']).$, (doc) => doc !== null);
      const late = new Promise((_, reject) => setTimeout(() => reject(new Error('not received within 5 s')), 5_000));
      await Promise.race([arrived, late]);
      expect(answers.filter((answer) => answer.client === 'second').every((answer) => answer.status === 429)).toBe(true);
      await Promise.all([syncFirst.cancel(), syncSecond.cancel()]);
    } finally {
      await server.close();
    }
  }, 60_000);
});
