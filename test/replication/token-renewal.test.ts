import { describe, expect, it } from 'vitest';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import type { ExpiryScheduler } from '../../src/store/scheduler.ts';
import type { SyncStatus } from '../../src/replication/sync-status.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { action, openSyncedStore, sync, firstMatching } from './sync-fixtures.ts';

/**
 * Issue 17.5, access that survives: a server restarted with another secret, a token that
 * expires. Real HTTP on PGlite; the only fake timers are the token source's own scheduler
 * (RxDB needs real ones).
 */
let counter = 0;
const newSecret = () => `rotated-secret-${process.pid}-${++counter}-0123456789`;
const mint = (secret: string, ws: string, ttlSeconds = 3_600) =>
  createAccessToken({ secret, workspaces: [ws], ttlSeconds, role: 'bot', subject: 'test-bot' });

/** A fetch that counts answers by status and records the token of every stream request. */
function watchedFetch() {
  const statuses: number[] = [];
  const refusedPaths: string[] = [];
  const streamTokens: string[] = [];
  const fetcher = async (input: string, init?: RequestInit) => {
    const auth = (init?.headers as Record<string, string> | undefined)?.['authorization'] ?? '';
    if (input.includes('/stream')) streamTokens.push(auth.replace(/^Bearer /, ''));
    const response = await fetch(input, init);
    statuses.push(response.status);
    if (response.status === 401) refusedPaths.push(new URL(input).pathname);
    return response;
  };
  return { fetch: fetcher, statuses, streamTokens, refusedPaths, refusals: () => refusedPaths.length };
}

/** Closes `server` and starts another on the same database and port with `authSecret`. */
async function restartWithSecret(server: TestServer, authSecret: string): Promise<TestServer> {
  const port = Number(new URL(server.url).port);
  await server.close();
  return startTestServer({ backend: 'pglite', port, authSecret });
}

/** A scheduler whose timers run only when the test says so. */
function fakeScheduler() {
  const timers = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  const scheduler: ExpiryScheduler = {
    setTimeout: (callback, ms) => (timers.set(++next, { callback, ms }), next),
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  return {
    scheduler,
    timers,
    /** Runs every pending timer once. */
    fire() {
      const due = [...timers.entries()];
      for (const [id] of due) timers.delete(id);
      for (const [, timer] of due) timer.callback();
    },
  };
}

describe('access that survives a restart and expiry (issue 17)', () => {
  it('a server restarted with a new secret: one unauthorized state, writes kept, pushed once setToken brings a valid token', async () => {
    const ws = `renew-${++counter}`;
    let server = await startTestServer({ backend: 'pglite' });
    const net = watchedFetch();
    const store = await openSyncedStore();
    const replication = sync(store, { url: server.url, token: await server.token([ws]), fetch: net.fetch });
    const first = await store.brainActions.createActionRecommendation(action(ws));
    await replication.awaitWrite(first);
    const seen: SyncStatus[] = [];
    replication.status$.subscribe((status) => seen.push(status));

    const secret = newSecret();
    server = await restartWithSecret(server, secret);
    const kept = await store.brainActions.createActionRecommendation(action(ws, { reason: 'written while the token is refused' }));
    const refused = await firstMatching(replication.status$, (status) => status.state === 'unauthorized');
    expect(refused).toMatchObject({ tokenProblem: 'refused', pending: 1, error: expect.objectContaining({ code: 'UNAUTHORIZED' }) });
    // Not one error per collection: no 'error' state at all.
    expect(seen.filter((status) => status.state === 'error')).toEqual([]);

    replication.setToken(await mint(secret, ws));
    await replication.awaitWrite(kept);
    // A refused request waited for the new token instead of being retried: one 401 per endpoint at most.
    expect(net.refusals()).toBeGreaterThan(0);
    expect(net.refusedPaths.length).toBe(new Set(net.refusedPaths).size);
    expect(await firstMatching(replication.status$, (status) => status.state === 'idle')).toMatchObject({ pending: 0 });
    const reader = await openSyncedStore();
    const pulled = sync(reader, { url: server.url, token: await mint(secret, ws), live: false });
    await pulled.awaitInSync();
    const onServer = await reader.brainActions.getActionsByWorkspace({ workspace_id: ws }).exec();
    expect(onServer.map((doc) => doc.id).sort()).toEqual([first, kept].sort());
    await server.close();
  });

  it('setToken replaces a fixed token for good: a refused replacement says so instead of falling back to the old token', async () => {
    const ws = `renew-${++counter}`;
    const server = await startTestServer({ backend: 'pglite' });
    const net = watchedFetch();
    const store = await openSyncedStore();
    // The first token stays valid all along: the dashboard's first link, say.
    const replication = sync(store, { url: server.url, token: await server.token([ws]), fetch: net.fetch });
    await replication.awaitInSync();
    // A link signed by another server replaces it: refused, and the refusal shows (the old token is never used again).
    replication.setToken(await mint(newSecret(), ws));
    const kept = await store.brainActions.createActionRecommendation(action(ws, { reason: 'written under the refused link' }));
    expect(await firstMatching(replication.status$, (status) => status.state === 'unauthorized')).toMatchObject({
      tokenProblem: 'refused',
      pending: 1,
    });
    const refusals = net.refusals();
    expect(refusals).toBeGreaterThan(0);
    // Nothing went out with the replaced token: the write waits for a token that works.
    const reader = await openSyncedStore();
    const pulled = sync(reader, { url: server.url, token: await server.token([ws]), live: false });
    await pulled.awaitInSync();
    expect((await reader.brainActions.getActionsByWorkspace({ workspace_id: ws }).exec()).map((doc) => doc.id)).not.toContain(kept);
    replication.setToken(await server.token([ws]));
    await replication.awaitWrite(kept);
    expect(await firstMatching(replication.status$, (status) => status.state === 'idle')).toMatchObject({ pending: 0 });
    await server.close();
  });

  it('asks getToken again on a 401 (naming the refused token) and resends at once with the new one', async () => {
    const ws = `renew-${++counter}`;
    let server = await startTestServer({ backend: 'pglite' });
    // An app's token cache: kept until the library says the server refused it.
    let issuer = { mint: () => server.token([ws]) };
    let cached: string | undefined;
    const refusedSeen: string[] = [];
    const net = watchedFetch();
    const store = await openSyncedStore();
    const replication = sync(store, {
      url: server.url,
      fetch: net.fetch,
      getToken: async ({ refused }) => {
        if (refused !== undefined) refusedSeen.push(refused);
        if (cached === undefined || refused === cached) cached = await issuer.mint();
        return cached;
      },
    });
    await replication.awaitInSync();
    const before = cached;
    const seen: SyncStatus[] = [];
    replication.status$.subscribe((status) => seen.push(status));

    const secret = newSecret();
    server = await restartWithSecret(server, secret);
    issuer = { mint: () => mint(secret, ws) };
    const id = await store.brainActions.createActionRecommendation(action(ws));
    await replication.awaitWrite(id);
    expect(refusedSeen).toContain(before);
    expect(net.refusals()).toBeGreaterThan(0);
    expect(seen.filter((status) => status.state === 'unauthorized' || status.state === 'error')).toEqual([]);
    await server.close();
  });

  it('renews before expiry on its scheduler: streams reconnect with the new token before the old one expires', async () => {
    const ws = `renew-${++counter}`;
    const server = await startTestServer({ backend: 'pglite' });
    const clock = fakeScheduler();
    const net = watchedFetch();
    const oldToken = await server.token([ws], 3_600);
    const newToken = await server.token([ws], 7_200);
    const asked: string[] = [];
    const store = await openSyncedStore();
    const replication = sync(store, {
      url: server.url,
      fetch: net.fetch,
      scheduler: clock.scheduler,
      getToken: ({ expiring }) => {
        if (expiring !== undefined) asked.push(expiring);
        return asked.length > 0 ? newToken : oldToken;
      },
    });
    await replication.awaitInSync();
    await firstMatching(replication.status$, (status) => status.state === 'idle');
    // One renewal timer, due a minute before the old token's exp.
    const [renewal] = [...clock.timers.values()];
    expect(clock.timers.size).toBe(1);
    expect(renewal!.ms).toBeGreaterThan(3_600_000 - 60_000 - 10_000);
    expect(renewal!.ms).toBeLessThanOrEqual(3_600_000 - 60_000);
    const streamsBefore = net.streamTokens.length;

    clock.fire();
    expect(asked).toEqual([oldToken]);
    // Every collection's stream reconnects with the new token, and live delivery goes on.
    await firstMatching(replication.status$, () => net.streamTokens.slice(streamsBefore).filter((token) => token === newToken).length >= 3);
    const other = await openSyncedStore();
    const writer = sync(other, { url: server.url, token: newToken });
    const id = await other.brainActions.createActionRecommendation(action(ws));
    await writer.awaitWrite(id);
    await firstMatching(store.brainActions.getActionsByWorkspace({ workspace_id: ws }).$, (list) => list.some((doc) => doc.id === id));
    await server.close();
  });

  it('while getToken has nothing newer it is asked again on its scheduler; a new token resumes and pushes the kept writes', async () => {
    const ws = `renew-${++counter}`;
    const server = await startTestServer({ backend: 'pglite' });
    const clock = fakeScheduler();
    const expired = await createAccessToken({
      secret: server.secret,
      workspaces: [ws],
      ttlSeconds: 60,
      role: 'bot',
      subject: 'test-bot',
      now: () => Date.now() - 120_000,
    });
    let current = expired;
    const store = await openSyncedStore();
    const replication = sync(store, { url: server.url, scheduler: clock.scheduler, getToken: () => current });
    const id = await store.brainActions.createActionRecommendation(action(ws));
    expect(await firstMatching(replication.status$, (status) => status.state === 'unauthorized')).toMatchObject({
      tokenProblem: 'expired',
      pending: 1,
    });
    // Asked again with nothing new: still waiting, another retry scheduled.
    clock.fire();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(clock.timers.size).toBeGreaterThan(0);

    current = await server.token([ws]);
    clock.fire();
    await replication.awaitWrite(id);
    expect(await firstMatching(replication.status$, (status) => status.state === 'idle')).toMatchObject({ pending: 0 });
    await server.close();
  });
});
