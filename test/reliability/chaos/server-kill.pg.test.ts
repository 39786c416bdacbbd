import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { fuzzSettings } from '../../helpers/fuzz-settings.ts';
import { startServerProcess, urlOf, type ServerProcess } from '../../../harness/server-process.ts';
import { createScratchPostgresDatabase, describeOnPostgres } from '../../helpers/sync-server.ts';
import { action, client } from '../../server/fixtures.ts';

/**
 * Issue 11 §2: the server process SIGKILLed in the middle of a push batch. The batch is
 * all or nothing (one transaction), and the client's retry against a restarted server
 * stores every row exactly once. Kill moments spread over the push's measured duration.
 */
const ROWS = 1_000;
const KILLS = Number(process.env['CHAOS_KILLS'] ?? 3);

await describeOnPostgres('server SIGKILL mid-push on PostgreSQL', () => {
  const secret = randomBytes(24).toString('hex');
  let database: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let sql: pg.Client;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    database = await createScratchPostgresDatabase();
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await server?.kill();
    await sql.end();
    await database.drop();
  });

  const start = async () => (server = await startServerProcess({ AUTH_SECRET: secret, DATABASE_URL: database.url }));
  const stored = async (ws: string) =>
    Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM brain_store_documents WHERE workspace_id = $1', [ws])).rows[0]!.n);

  it(`commits a ${ROWS}-row batch all or nothing, and a retry stores it exactly once (${KILLS} kills)`, async () => {
    const { seed } = fuzzSettings('server SIGKILL mid-push', KILLS);
    let random = seed;
    const next = () => (random = (random * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    // The push's duration end to end, on a server that is not killed.
    await start();
    const token = await createAccessToken({ secret, workspaces: ['measure'], ttlSeconds: 3_600, role: 'bot' });
    const started = performance.now();
    const measured = await client(urlOf(server!), token).push(
      'brainActions',
      Array.from({ length: ROWS }, () => ({ newDocumentState: action('measure', { created_at: Date.now() }) })),
    );
    const duration = performance.now() - started;
    expect(measured.status).toBe(200);
    expect(measured.body).toEqual({ conflicts: [], rejected: [] });

    const outcomes: { delayMs: number; committed: number }[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const ws = `kill-${kill}`;
      const rows = Array.from({ length: ROWS }, () => ({ newDocumentState: action(ws, { created_at: Date.now() }) }));
      const api = client(urlOf(server!), await createAccessToken({ secret, workspaces: [ws], ttlSeconds: 3_600, role: 'bot' }));
      const push = api.push('brainActions', rows).then(
        (response) => response.status,
        () => 'cut' as const,
      );
      const delayMs = Math.round(duration * (0.1 + next() * 1.1));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await server!.kill();
      const answered = await push;
      const committed = await stored(ws);
      outcomes.push({ delayMs, committed });
      // All or nothing, whatever the moment; an answered 200 means all.
      expect([0, ROWS]).toContain(committed);
      if (answered === 200) expect(committed).toBe(ROWS);

      // The client retries the same batch against a restarted server: exactly once.
      await start();
      const retry = client(urlOf(server!), await createAccessToken({ secret, workspaces: [ws], ttlSeconds: 3_600, role: 'bot' }));
      const again = await retry.push('brainActions', rows);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ conflicts: [], rejected: [] });
      expect(await stored(ws)).toBe(ROWS);
      const pulled = await retry.pullAll('brainActions', 1_000);
      expect(pulled.documents.map((doc) => doc.id).sort()).toEqual(rows.map((row) => row.newDocumentState.id).sort());
    }
    console.info(`[chaos] push of ${ROWS} rows took ${Math.round(duration)} ms; kills: ${JSON.stringify(outcomes)}`);
  }, 300_000);

  it('the server process survives every connection to PostgreSQL being killed during pushes', async () => {
    await server?.kill();
    await start();
    const ws = 'terminated';
    const api = client(urlOf(server!), await createAccessToken({ secret, workspaces: [ws], ttlSeconds: 3_600, role: 'bot' }));
    const acknowledged: string[] = [];
    const writer = (async () => {
      for (let i = 0; i < 40; i++) {
        const row = { newDocumentState: action(ws, { created_at: Date.now() }) };
        const response = await api.push('brainActions', [row]).catch(() => undefined);
        if (response?.status === 200) acknowledged.push(row.newDocumentState.id);
      }
    })();
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      await sql.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name LIKE 'brain-store%'`,
      );
    }
    await writer;
    // Still the same process, still serving; every acknowledged row is stored.
    expect(server!.child.exitCode).toBeNull();
    expect(server!.child.signalCode).toBeNull();
    const after = await api.push('brainActions', [{ newDocumentState: action(ws, { created_at: Date.now() }) }]);
    expect(after.status).toBe(200);
    const rows = await sql.query<{ id: string }>('SELECT id FROM brain_store_documents WHERE workspace_id = $1', [ws]);
    expect(rows.rows.map((row) => row.id)).toEqual(expect.arrayContaining(acknowledged));
    console.info(`[chaos] backends terminated 5 times during 40 pushes: ${acknowledged.length} acknowledged, all stored`);
  }, 120_000);
});
