import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from '../../src/protocol/endpoints.ts';
import { readServerTime, SERVER_TIME_HEADER } from '../../src/protocol/server-time.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';

/** Issue 12.2: every answer of the sync server tells its time, so any round trip is a clock sample. */
describe('the server-time header', () => {
  const T = 1_800_000_000_123;
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({ backend: 'pglite', now: () => T });
    token = await server.token(['w-header'], 3_600);
  }, 120_000);
  afterAll(() => server.close());

  const post = (path: string, body: unknown, auth = true) =>
    fetch(server.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}), origin: 'http://app.example' },
      body: JSON.stringify(body),
    });

  it('is on pulls, pushes, streams and refusals, with the server clock, and readable cross-origin', async () => {
    const pull = await post(endpoints.pull('brainActions'), { checkpoint: null, batchSize: 10 });
    const push = await post(endpoints.push('brainActions'), { rows: [] });
    const refused = await post(endpoints.pull('brainActions'), { checkpoint: null, batchSize: 10 }, false);
    const abort = new AbortController();
    const stream = await fetch(server.url + endpoints.stream('brainActions'), {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    for (const response of [pull, push, refused, stream]) expect(readServerTime(response.headers)).toBe(T);
    expect(refused.status).toBe(401);
    expect(pull.headers.get('access-control-expose-headers')?.toLowerCase()).toContain(SERVER_TIME_HEADER);
    abort.abort();
    for (const response of [pull, push, refused]) await response.body?.cancel();
  });

  it('reads only whole epoch milliseconds', () => {
    const headers = (value: string) => new Headers({ [SERVER_TIME_HEADER]: value });
    expect(readServerTime(headers('1800000000123'))).toBe(1_800_000_000_123);
    for (const bad of ['', '-5', '1e12', '12.5', 'NaN', '99999999999999999']) expect(readServerTime(headers(bad))).toBeUndefined();
    expect(readServerTime(new Headers())).toBeUndefined();
  });
});
