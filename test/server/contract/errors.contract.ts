import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints, MAX_PULL_BATCH } from '../../../src/protocol/endpoints.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../../src/protocol/protocol-version.ts';
import { startTestServer, type TestBackend, type TestServer } from '../../helpers/sync-server.ts';
import { action, client } from '../fixtures.ts';

/** Whole-request errors, health, metrics, and a hosted collection without a workspace field. */
export function errorsContract(backend: TestBackend): void {
  describe('whole-request errors', () => {
    let server: TestServer;
    let api: ReturnType<typeof client>;
    beforeAll(async () => {
      server = await startTestServer({
        backend,
        maxBodyBytes: 4_000,
        maxPushRows: 3,
        rateLimit: { requests: 1_000, windowMs: 60_000 },
        collections: { humans: { primaryKey: 'passportId' } },
      });
      api = client(server.url, await server.token(['w1']));
    });
    afterAll(() => server.close());

    const expectWireError = (body: unknown, code: string) => {
      expect(body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
      expect(JSON.stringify(body)).not.toMatch(/\bat .*\.ts:\d+/);
    };

    it('400 for a malformed body, checkpoint or batch size', async () => {
      const bad = [
        ['not json', endpoints.pull('brainActions')],
        [{ checkpoint: { tx: 'abc', seq: '1' }, batchSize: 10 }, endpoints.pull('brainActions')],
        [{ checkpoint: { tx: '1' }, batchSize: 10 }, endpoints.pull('brainActions')],
        [{ checkpoint: { tx: '99999999999999999999', seq: '1' }, batchSize: 10 }, endpoints.pull('brainActions')],
        [{ checkpoint: { tx: '1', seq: '9223372036854775808' }, batchSize: 10 }, endpoints.pull('brainActions')],
        [{ checkpoint: null, batchSize: 0 }, endpoints.pull('brainActions')],
        [{ checkpoint: null, batchSize: MAX_PULL_BATCH + 1 }, endpoints.pull('brainActions')],
        [{ checkpoint: null, batchSize: 10, extra: 1 }, endpoints.pull('brainActions')],
        [{ rows: [{ newDocumentState: { id: 'x' } }] }, endpoints.push('brainActions')],
        [{ rows: 'nope' }, endpoints.push('brainActions')],
        [[], endpoints.push('brainActions')],
      ] as const;
      for (const [body, path] of bad) {
        const response = await api.call(path, body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expectWireError(response.body, 'BAD_REQUEST');
      }
    });

    it('400 for another protocol version; the server names its own', async () => {
      const response = await api.call(
        endpoints.pull('brainActions'),
        { checkpoint: null, batchSize: 1 },
        {
          headers: { authorization: `Bearer ${await server.token(['w1'])}`, [PROTOCOL_HEADER]: '999' },
        },
      );
      expect(response.status).toBe(400);
      const ok = await api.pull('brainActions', null);
      expect(ok.headers.get(PROTOCOL_HEADER)).toBe(String(PROTOCOL_VERSION));
    });

    it('413 for a body or a batch too large', async () => {
      const big = await api.push('brainActions', [{ newDocumentState: action('w1', { reason: 'x'.repeat(5_000) }) }]);
      expect(big.status).toBe(413);
      expectWireError(big.body, 'TOO_LARGE');
      const many = await api.push(
        'brainActions',
        Array.from({ length: 4 }, () => ({ newDocumentState: { id: 'x', _deleted: false } })),
      );
      expect(many.status).toBe(413);
    });

    it('404 for an unknown collection or endpoint', async () => {
      for (const path of [endpoints.pull('users'), endpoints.pull('__proto__'), '/nope']) {
        const response = await api.call(path, { checkpoint: null, batchSize: 1 });
        expect(response.status).toBe(404);
        expectWireError(response.body, 'NOT_FOUND');
      }
    });

    it('GET /healthz checks the database; GET /metrics speaks Prometheus', async () => {
      const health = await fetch(server.url + endpoints.health);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true });
      await api.push('brainActions', [{ newDocumentState: action('w1') }, { newDocumentState: action('w2') }]);
      await api.pull('brainActions', null);
      const operator = await server.token(['w1'], 60, { role: 'operator', subject: 'ops' });
      const text = await (await fetch(server.url + endpoints.metrics, { headers: { authorization: `Bearer ${operator}` } })).text();
      for (const name of [
        'brain_store_pushes_total',
        'brain_store_pulls_total',
        'brain_store_conflicts_total',
        'brain_store_rejected_rows_total',
        'brain_store_stream_clients',
        'brain_store_http_request_duration_seconds_bucket',
      ]) {
        expect(text).toContain(name);
      }
      expect(text).toMatch(/brain_store_rejected_rows_total\{collection="brainActions",code="FORBIDDEN_WORKSPACE"\} 1/);
    });

    it('hosts an extra collection without a workspace field, scoped to the "_" workspace', async () => {
      const outsider = client(server.url, await server.token(['w1']));
      const member = client(server.url, await server.token(['_']));
      const human = JSON.parse(
        '{"passportId":"h1","firstName":"A","age":3,"_deleted":false,"__proto__":{"x":1},"constructor":{"prototype":{"polluted":1}}}',
      ) as Record<string, unknown>;
      expect((await outsider.push('humans', [{ newDocumentState: human }])).body.rejected[0]).toMatchObject({
        id: 'h1',
        code: 'FORBIDDEN_WORKSPACE',
        master: null,
      });
      expect((await member.push('humans', [{ newDocumentState: human }])).body).toEqual({ conflicts: [], rejected: [] });
      expect((await outsider.pullAll('humans')).documents).toEqual([]);
      const [pulled] = (await member.pullAll('humans')).documents;
      expect(Object.keys(pulled!).sort()).toEqual(['__proto__', '_deleted', 'age', 'constructor', 'firstName', 'passportId']);
      expect(Object.getPrototypeOf(pulled)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });
  });

  describe('rate limit', () => {
    it('429 with Retry-After beyond the per-subject limit (issue 23: a new token of the same subject does not start afresh)', async () => {
      const server = await startTestServer({ backend, rateLimit: { requests: 2, windowMs: 60_000 } });
      const api = client(server.url, await server.token(['w1']));
      expect((await api.pull('brainActions', null)).status).toBe(200);
      expect((await api.pull('brainActions', null)).status).toBe(200);
      const limited = await api.pull('brainActions', null);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((limited.body as unknown as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      // a new token of the same subject is counted with the first; another subject apart
      expect((await client(server.url, await server.token(['w2'])).pull('brainActions', null)).status).toBe(429);
      const other = await server.token(['w2'], 3_600, { role: 'bot', subject: 'other-bot' });
      expect((await client(server.url, other).pull('brainActions', null)).status).toBe(200);
      await server.close();
    });
  });
}
