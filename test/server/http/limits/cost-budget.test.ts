import { afterAll, describe, expect, it } from 'vitest';
import type { WireError } from '../../../../src/protocol/messages.ts';
import { startTestServer, syncBackends, type TestServer } from '../../../helpers/sync-server.ts';
import { action, client } from '../../fixtures.ts';
import { openSyncedStore, sync } from '../../../replication/sync-fixtures.ts';
import { filter, firstValueFrom, timeout } from 'rxjs';

/**
 * Issue 23 §4: a budget per subject of the rows and bytes its requests make the server
 * handle. The request rate limit did not see cost: two 8 MB pushes of refused rows used 82 %
 * of a core. Lowered budgets, the server's clock injected; real HTTP on each backend.
 */
describe.each(await syncBackends())('cost budget per subject on %s', (backend) => {
  let clock = Date.now();
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  async function serve(limits: { maxRowsPerSubject: number; maxBytesPerSubject: number }) {
    const server = await startTestServer({ backend, now: () => clock, limits: { ...limits, costWindowMs: 10_000 } });
    servers.push(server);
    const as = async (subject: string, role: 'bot' | 'member' = 'bot') =>
      client(server.url, await server.token([`budget-${backend}`], 600, { role, subject }));
    return { server, as };
  }

  async function expectLimited(call: Promise<{ status: number; body: unknown; headers: Headers }>, retryAfter: string) {
    const { status, body, headers } = await call;
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe(retryAfter);
    expect((body as WireError).error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('budget') });
  }

  it('counts refused rows: a subject past its rows gets 429 with Retry-After, another is served, and the window refills it', async () => {
    const { as } = await serve({ maxRowsPerSubject: 100, maxBytesPerSubject: 0 });
    const ws = `budget-${backend}`;
    const flooder = await as('flooder');
    // 120 rows refused by validation (priority out of range): nothing written, all counted.
    const refused = Array.from({ length: 120 }, () => ({ newDocumentState: action(ws, { priority: 101, created_at: clock }) }));
    const push = await flooder.push('brainActions', refused);
    expect(push.status).toBe(200);
    expect(push.body.rejected).toHaveLength(120);
    await expectLimited(flooder.pull('brainActions', null), '10');
    await expectLimited(flooder.push('brainActions', [{ newDocumentState: action(ws, { created_at: clock }) }]), '10');
    expect((await (await as('other')).pull('brainActions', null)).status).toBe(200);
    clock += 4_000;
    await expectLimited(flooder.pull('brainActions', null), '6');
    clock += 6_000;
    expect((await flooder.pull('brainActions', null)).status).toBe(200);
  });

  it("a replicating client over its budget sees RATE_LIMITED with the server's Retry-After (its retries wait for it)", async () => {
    const { server, as } = await serve({ maxRowsPerSubject: 100, maxBytesPerSubject: 0 });
    const ws = `budget-${backend}`;
    const refused = Array.from({ length: 120 }, () => ({ newDocumentState: action(ws, { priority: 101, created_at: clock }) }));
    expect((await (await as('replicating-bot')).push('brainActions', refused)).status).toBe(200);
    const store = await openSyncedStore();
    const replication = sync(store, { url: server.url, token: await server.token([ws], 600, { role: 'bot', subject: 'replicating-bot' }) });
    const status = await firstValueFrom(
      replication.status$.pipe(
        filter((candidate) => candidate.error !== undefined),
        timeout(15_000),
      ),
    );
    expect(status.error).toMatchObject({ code: 'RATE_LIMITED', parameters: { status: 429, retryAfterSeconds: 10 } });
    await replication.cancel();
  });

  it('counts pushed bytes and pulled documents', async () => {
    const { as } = await serve({ maxRowsPerSubject: 0, maxBytesPerSubject: 64 * 1024 });
    const ws = `budget-${backend}`;
    const bot = await as('writer');
    // 100 KB of refused rows (a reason far over its schema bound) in one push.
    const big = Array.from({ length: 10 }, () => ({ newDocumentState: action(ws, { reason: 'x'.repeat(10_000), created_at: clock }) }));
    expect((await bot.push('brainActions', big)).body.rejected).toHaveLength(10);
    await expectLimited(bot.pull('brainActions', null), '10');
    clock += 10_000;
    // 100 stored documents (~33 KB of JSON) pulled whole by a reader, again and again: its
    // pulls count, not the writer's push.
    const stored = Array.from({ length: 100 }, () => ({ newDocumentState: action(ws, { created_at: clock }) }));
    expect((await bot.push('brainActions', stored)).body).toEqual({ conflicts: [], rejected: [] });
    const reader = await as('reader', 'member');
    const first = await reader.pull('brainActions', null, 100);
    expect(first.body.documents).toHaveLength(100);
    expect((await reader.pull('brainActions', null, 100)).status).toBe(200);
    await expectLimited(reader.pull('brainActions', null, 100), '10');
  });
});
