import { emptyDb, inProcessApp } from './in-process-app.ts';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { DEFAULT_LIMITS } from '../../../src/server/http/limits/server-limits.ts';
import { REFUSAL_WINDOW_MS } from '../../../src/server/http/refusal-log.ts';
import type { ServerContext } from '../../../src/server/server-context.ts';
import type { SqlDatabase } from '../../../src/server/sql/sql-database.ts';
import { startTestServer, type TestServer } from '../../helpers/sync-server.ts';
import { action, client } from '../fixtures.ts';

/**
 * Issue 23 §5, logs bounded: a flood of refusals from one caller writes one access line per
 * window and a count, not a line per request; a push of many refused rows logs counts and the
 * first few ids. A capturing logger reads what would reach the operator.
 */
type Line = Record<string, unknown> & { msg: string };

function capturingLogger() {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (text: string) => void lines.push(JSON.parse(text) as Line) });
  return { logger, lines };
}

const secret = 'refusal-log-secret-long-enough';
/** The sync app over `db` (default: no SQL reached) on a clock the test moves, with pull and token helpers. */
function syncApp(options: Pick<ServerContext, 'logger'> & Partial<Pick<ServerContext, 'db' | 'rateLimit' | 'limits'>>) {
  let time = 1_700_000_000_000;
  const now = () => time;
  const app = inProcessApp(secret, { now, ...options });
  return {
    app,
    clock: { advance: (ms: number) => void (time += ms) },
    pull: (token: string) =>
      app.request('/sync/brainActions/pull', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ checkpoint: null, batchSize: 10 }),
      }),
    tokenOf: (subject: string) => createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 600, role: 'member', subject, now }),
  };
}

describe('refusals logged once per caller and window, with a count', () => {
  it('50 forged tokens from one address and 20 rate-limited pulls of one subject: one line each, the rest counted', async () => {
    const { logger, lines } = capturingLogger();
    // Two subjects are over their rate limit; everyone else is not.
    const { app, clock, pull, tokenOf } = syncApp({
      logger,
      rateLimit: (key) => (key === 's:flooder' || key === 's:other' ? 7 : null),
      limits: { ...DEFAULT_LIMITS, maxUnauthenticatedPerAddress: 1_000 },
    });
    const accessLines = (status: number) => lines.filter((line) => line.msg === 'request' && line['status'] === status);

    for (let i = 0; i < 50; i++) expect((await pull(`forged.${i}.token`)).status).toBe(401);
    const flooder = await tokenOf('flooder');
    for (let i = 0; i < 20; i++) expect((await pull(flooder)).status).toBe(429);
    expect((await pull(await tokenOf('other'))).status).toBe(429);
    // Normal answers are logged one by one.
    for (let i = 0; i < 3; i++) expect((await app.request('/healthz')).status).toBe(200);

    expect(accessLines(401)).toHaveLength(1);
    expect(accessLines(429)).toHaveLength(2); // flooder once, other once
    expect(accessLines(200)).toHaveLength(3);

    // Once the window has ended, any request writes the counts of what was not logged.
    clock.advance(REFUSAL_WINDOW_MS);
    expect((await app.request('/healthz')).status).toBe(200);
    const summaries = lines.filter((line) => line.msg === 'refusals not logged one by one');
    expect(
      summaries.map(({ refusal, count }) => ({ refusal, count })).sort((a, b) => String(a.refusal).localeCompare(String(b.refusal))),
    ).toEqual([
      { refusal: '401 address local', count: 49 },
      { refusal: '429 subject flooder', count: 19 },
    ]);
    // A new window logs the next refusal again.
    expect((await pull('forged.again.token')).status).toBe(401);
    expect(accessLines(401)).toHaveLength(2);
    expect(lines.length).toBeLessThan(12);
  });
});

describe('statement timeouts logged once per caller and window, with a count', () => {
  it('20 pulls of one subject cancelled by the statement timeout: one warning and one access line; another subject its own', async () => {
    const { logger, lines } = capturingLogger();
    // Every statement runs past PostgreSQL's statement timeout (57014), as under a lock held for minutes.
    const timingOut: SqlDatabase = {
      ...emptyDb,
      query: () => Promise.reject(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })),
    };
    const { clock, pull, tokenOf } = syncApp({ logger, db: timingOut });
    const warnings = () => lines.filter((line) => line.msg === 'statement timeout: request cancelled');
    const accessLines = () => lines.filter((line) => line.msg === 'request' && line['status'] === 503);

    const slow = await tokenOf('slow');
    for (let i = 0; i < 20; i++) {
      const answer = await pull(slow);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
    }
    expect((await pull(await tokenOf('also-slow'))).status).toBe(503);
    expect(warnings().map((line) => line['path'])).toEqual(['/sync/brainActions/pull', '/sync/brainActions/pull']);
    expect(accessLines()).toHaveLength(2);

    // A window later: the next timeout is warned of again, with how many were not; the access lines' count is written.
    clock.advance(REFUSAL_WINDOW_MS);
    expect((await pull(slow)).status).toBe(503);
    expect(warnings()).toHaveLength(3);
    expect(warnings()[2]).toMatchObject({ path: '/sync/brainActions/pull', repeated: 19 });
    const summaries = lines.filter((line) => line.msg === 'refusals not logged one by one');
    expect(summaries.map(({ refusal, count }) => ({ refusal, count }))).toEqual([{ refusal: '503 subject slow', count: 19 }]);
    expect(lines.length).toBeLessThan(10);
  });
});

describe('a push of refused rows (PGlite)', () => {
  let server: TestServer;
  const { logger, lines } = capturingLogger();
  afterAll(async () => {
    await server?.close();
  });

  it('logs the count by code and the first five ids, not every id', async () => {
    server = await startTestServer({ backend: 'pglite', logger });
    const token = await server.token(['refused-rows']);
    // 500 rows with 128-character ids refused by validation (a priority out of range).
    const rows = Array.from({ length: 500 }, (_, i) => ({
      newDocumentState: action('refused-rows', { id: `r${String(i).padStart(127, '0')}`, priority: 1_000 }),
    }));
    const answer = await client(server.url, token).push('brainActions', rows);
    expect(answer.status).toBe(200);
    expect(answer.body.rejected).toHaveLength(500);
    const line = lines.find((candidate) => candidate.msg === 'push rows rejected')!;
    expect(line).toMatchObject({ rejected: 500, codes: { VALIDATION: 500 } });
    expect(line['firstIds']).toHaveLength(5);
    expect(JSON.stringify(line).length).toBeLessThan(2_000);
  });
});
