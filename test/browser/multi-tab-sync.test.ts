/**
 * Every tab tells the truth about sync (issue 8, the class of RxDB #8632): two tabs of one
 * browser profile on one IndexedDB store (multiInstance), only the leader tab replicating.
 * A write made in the follower reaches the server through the leader, and both tabs then
 * report 0 pending, idle, with awaitWrite/awaitInSync resolved in the follower; offline, both
 * count exactly the unacknowledged writes; after the leader closes, the new leader's count is
 * exact and it syncs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { BrainStore, BrainSync, SyncStatus } from '../../src/index.ts';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { launchChromium, serveBrowserFixture, type LaunchedChromium, type StaticServer } from '../../harness/chromium.ts';
import { describeInChromium } from '../helpers/skip-or-fail.ts';
import type { BrowserFixtureApi } from '../../harness/browser-fixture-entry.ts';
import { createAction as createTabAction } from '../../harness/multi-tab.ts';
import { pullAll } from './dashboard-fixtures.ts';

interface PageWindow {
  brainStore: BrowserFixtureApi;
  store: BrainStore;
  sync: BrainSync;
  syncStatus: SyncStatus | undefined;
}

const WORKSPACE = 'tabs';
const STEP = 60_000;
/** A hang is a failure, not a wait: awaitWrite/awaitInSync must settle well within this. */
const SETTLE_LIMIT_MS = 30_000;

describeInChromium('sync status in two tabs of one store (issue 8)', () => {
  let server: TestServer;
  let token: string;
  let site: StaticServer;
  let browser: LaunchedChromium;
  const syncRequests = new Map<Page, number>();

  beforeAll(async () => {
    server = await startTestServer({ backend: 'pglite' });
    token = await createAccessToken({ secret: server.secret, workspaces: [WORKSPACE], ttlSeconds: 3600, role: 'bot', subject: 'bot' });
    site = await serveBrowserFixture();
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await browser?.removeProfile();
    await site?.close();
    await server?.close();
  });

  async function openTab(): Promise<Page> {
    const page = await browser.context.newPage();
    syncRequests.set(page, 0);
    page.on('request', (request) => {
      if (request.url().includes('/sync/')) syncRequests.set(page, (syncRequests.get(page) ?? 0) + 1);
    });
    await page.goto(site.url);
    await page.waitForFunction(() => 'brainStore' in window);
    await page.evaluate(
      async ({ url, token }) => {
        const w = window as unknown as PageWindow;
        w.store = await w.brainStore.createBrainStore({ name: 'two-tabs' });
        w.sync = w.brainStore.replicateBrainStore(w.store, { url, token, retryTime: 200 });
        w.sync.status$.subscribe({ next: (status) => (w.syncStatus = status), error: (e) => console.log('status error', String(e)) });
      },
      { url: server.url, token },
    );
    return page;
  }

  /** The tab's latest status as plain data (an error by its code and message). */
  const status = (page: Page) =>
    page.evaluate(() => {
      const current = (window as unknown as PageWindow).syncStatus;
      if (!current) return undefined;
      const { error, ...rest } = current;
      return { ...rest, ...(error ? { error: `${error.code}: ${error.message}` } : {}) };
    });
  const pending = async (page: Page) => (await status(page))?.pending;
  const isLeader = (page: Page) => page.evaluate(() => (window as unknown as PageWindow).sync.isLeader());
  const waitForLeadership = (page: Page) =>
    page.waitForFunction(() => (window as unknown as PageWindow).sync.isLeader(), undefined, { timeout: STEP });

  const createAction = (page: Page, reason: string) => createTabAction(page, WORKSPACE, reason);

  /** 'settled' or 'hung' after SETTLE_LIMIT_MS. */
  async function settles(page: Page, what: { awaitWrite: string } | 'awaitInSync'): Promise<string> {
    return page.evaluate(
      ({ what, limit }) => {
        const sync = (window as unknown as PageWindow).sync;
        const waiting = what === 'awaitInSync' ? sync.awaitInSync() : sync.awaitWrite(what.awaitWrite);
        return Promise.race([waiting.then(() => 'settled'), new Promise<string>((done) => setTimeout(() => done('hung'), limit))]);
      },
      { what, limit: SETTLE_LIMIT_MS },
    );
  }

  const onServer = async (id: string) => (await pullAll(server.url, token)).some((doc) => doc.id === id);

  let leader: Page;
  let follower: Page;

  it(
    "a follower's write reaches the server through the leader, and both tabs then report it synced",
    async () => {
      leader = await openTab();
      await waitForLeadership(leader);
      follower = await openTab();
      expect(await isLeader(follower)).toBe(false);
      syncRequests.set(follower, 0);

      const id = await createAction(follower, 'written in the follower');
      expect(await settles(follower, { awaitWrite: id })).toBe('settled');
      expect(await onServer(id)).toBe(true);
      expect(await settles(follower, 'awaitInSync')).toBe('settled');
      await expect.poll(() => status(follower), { timeout: STEP }).toMatchObject({ state: 'idle', pending: 0 });
      await expect.poll(() => status(leader), { timeout: STEP }).toMatchObject({ state: 'idle', pending: 0 });
      // The follower heard when the leader last synced.
      expect((await status(follower))?.lastSyncedAt).toEqual(expect.any(Number));
      expect(syncRequests.get(follower)).toBe(0);
    },
    STEP * 2,
  );

  it(
    'offline, both tabs count exactly the writes the server lacks; online, both reach 0',
    async () => {
      await browser.context.setOffline(true);
      const first = await createAction(follower, 'offline in the follower');
      const second = await createAction(leader, 'offline in the leader');
      await expect.poll(() => pending(follower), { timeout: STEP }).toBe(2);
      await expect.poll(() => pending(leader), { timeout: STEP }).toBe(2);
      await browser.context.setOffline(false);
      await leader.evaluate(() => (window as unknown as PageWindow).sync.resync());
      expect(await settles(follower, { awaitWrite: first })).toBe('settled');
      expect(await settles(leader, { awaitWrite: second })).toBe('settled');
      await expect.poll(() => pending(follower), { timeout: STEP }).toBe(0);
      await expect.poll(() => pending(leader), { timeout: STEP }).toBe(0);
      expect(await onServer(first)).toBe(true);
      expect(await onServer(second)).toBe(true);
    },
    STEP * 2,
  );

  it(
    'after the leader closes, the new leader counts exactly and syncs',
    async () => {
      // Acknowledged while A led: the tab taking over must not still count it.
      const acked = await createAction(follower, 'acknowledged before the hand-over');
      expect(await settles(follower, { awaitWrite: acked })).toBe('settled');
      await leader.close({ runBeforeUnload: true });
      await waitForLeadership(follower);
      expect(await isLeader(follower)).toBe(true);
      await expect.poll(() => pending(follower), { timeout: STEP }).toBe(0);
      const after = await createAction(follower, 'written by the new leader');
      expect(await settles(follower, { awaitWrite: after })).toBe('settled');
      expect(await onServer(after)).toBe(true);
      await expect.poll(() => status(follower), { timeout: STEP }).toMatchObject({ state: 'idle', pending: 0 });
      expect(syncRequests.get(follower)).toBeGreaterThan(0);
    },
    STEP * 2,
  );
});
