import { inProcessApp } from './in-process-app.ts';
import { DEFAULT_LIMITS } from '../../../src/server/http/limits/server-limits.ts';
import { describe, expect, it } from 'vitest';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import type { SqlDatabase } from '../../../src/server/sql/sql-database.ts';

const secret = 'in-process-secret-long-enough';

/** A database whose every statement fails with an error carrying internals. */
const brokenDb: SqlDatabase = {
  kind: 'postgres',
  query: () => Promise.reject(new Error('connection to 10.0.0.5 refused: password for user admin')),
  transaction: () => Promise.reject(new Error('connection to 10.0.0.5 refused')),
  listen: () => Promise.resolve(async () => undefined),
  close: () => Promise.resolve(),
};
function app() {
  return inProcessApp(secret, { db: brokenDb, limits: { ...DEFAULT_LIMITS, maxBodyBytes: 1_000, maxPushRows: 10 } });
}

describe('the HTTP surface in process (app.request)', () => {
  it('reports an unreachable database as 503 on /healthz', async () => {
    const response = await app().request('/healthz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ok: false });
  });

  it('answers an internal failure with a bare 500 STORAGE: no message, stack or cause', async () => {
    const token = await createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 60, role: 'bot' });
    const response = await app().request('/sync/brainActions/pull', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ checkpoint: null, batchSize: 10 }),
    });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'STORAGE', message: expect.any(String) } });
    expect(text).not.toMatch(/10\.0\.0\.5|password|at .*\.ts/);
  });

  it('answers CORS preflights for the sync headers', async () => {
    const response = await app().request('/sync/brainActions/pull', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://dashboard.local',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });
});
