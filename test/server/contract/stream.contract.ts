import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestBackend, type TestServer } from '../../helpers/sync-server.ts';
import { action, client, openStream } from '../fixtures.ts';

/** The change stream: RESYNC first, CHANGE pokes across instances, heartbeats, expiry. */
export function streamContract(backend: TestBackend): void {
  describe('change stream', () => {
    let a: TestServer;
    let b: TestServer;
    beforeAll(async () => {
      a = await startTestServer({ backend });
      b = await startTestServer({ backend });
    });
    afterAll(async () => {
      await a.close();
      await b.close();
    });

    it('sends RESYNC on connect, then a data-free CHANGE for a write on another instance', async () => {
      const stream = await openStream(a.url, 'brainActions', await a.token(['w1']));
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await stream.next('RESYNC');
      await client(b.url, await b.token(['w1'])).push('brainActions', [{ newDocumentState: action('w1') }]);
      await stream.next('CHANGE');
      expect(stream.events.every((event) => Object.keys(event).join() === 'type')).toBe(true);
      await stream.close();
    });

    it('pokes only streams of the written collection and workspaces', async () => {
      const other = await openStream(a.url, 'brainActions', await a.token(['w9']));
      const insights = await openStream(a.url, 'brainInsights', await a.token(['w1']));
      const mine = await openStream(a.url, 'brainActions', await a.token(['w1']));
      await Promise.all([other.next('RESYNC'), insights.next('RESYNC'), mine.next('RESYNC')]);
      await client(b.url, await b.token(['w1'])).push('brainActions', [{ newDocumentState: action('w1') }]);
      await mine.next('CHANGE');
      // a second write on w9's stream arrives after any stray poke for the first would have
      await client(b.url, await b.token(['w9'])).push('brainActions', [{ newDocumentState: action('w9') }]);
      await other.next('CHANGE');
      expect(other.events).toEqual([]);
      expect(insights.events.filter((event) => event.type === 'CHANGE')).toEqual([]);
      await Promise.all([other.close(), insights.close(), mine.close()]);
    });

    it('accepts the token as ?token= and refuses a stream without one', async () => {
      const viaQuery = await openStream(a.url, 'brainActions', await a.token(['w1']), { viaQuery: true });
      await viaQuery.next('RESYNC');
      await viaQuery.close();
      const refused = await openStream(a.url, 'brainActions', undefined);
      expect(refused.response.status).toBe(401);
      await refused.close();
    });

    it('sends heartbeats and closes the stream when its token expires (injected clock)', async () => {
      let now = Date.now();
      const server = await startTestServer({ backend, heartbeatMs: 20, now: () => now });
      const stream = await openStream(server.url, 'brainActions', await server.token(['w1'], 60));
      await stream.next('RESYNC');
      await stream.next('HEARTBEAT');
      now += 61_000;
      await stream.waitEnded();
      await server.close();
    });

    it('counts open streams in /metrics and ends them on close()', async () => {
      const server = await startTestServer({ backend });
      const stream = await openStream(server.url, 'brainActions', await server.token(['w1']));
      await stream.next('RESYNC');
      const operator = await server.token(['w1'], 60, { role: 'operator', subject: 'ops' });
      const metrics = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${operator}` } });
      expect(await metrics.text()).toMatch(/^brain_store_stream_clients 1$/m);
      await server.close();
      await stream.waitEnded();
    });
  });
}
