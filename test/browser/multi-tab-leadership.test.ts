/**
 * Sync never waits on a tab the person is not using (issue 18), in real Chromium: two tabs
 * of one browser profile on one IndexedDB store. The leader goes hidden, is frozen (its
 * main thread then held), is stuck in a long task with no warning, or is closed mid-push —
 * and in every case the visible tab's write reaches the server within seconds and the
 * server's writes reach it, while the leader is still held. A follower shows the leader's
 * offline state and the writes the server refused.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { describeInChromium } from '../helpers/skip-or-fail.ts';
import { launchChromium, serveBrowserFixture, type LaunchedChromium, type StaticServer } from '../../harness/chromium.ts';
import { pullAll, startBot, WORKSPACE, type Bot } from './dashboard-fixtures.ts';
import {
  createAction,
  hide,
  holdMainThread,
  holds,
  isLeader,
  openLeaderAndFollower,
  rejectedIn,
  statusOf,
  writeSettles,
  type HeldThread,
  type TabWindow,
} from '../../harness/multi-tab.ts';

const STEP = 60_000;
/** A write must settle well within this; a hang is a failure, not a wait. */
const SETTLE_LIMIT_MS = 30_000;

describeInChromium('leadership follows the tab in use (issue 18)', () => {
  let server: TestServer;
  let token: string;
  let site: StaticServer;
  let browser: LaunchedChromium;
  let bot: Bot;
  let pages: Page[] = [];
  let held: HeldThread | undefined;
  let storeCount = 0;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'pglite' });
    token = await createAccessToken({ secret: server.secret, workspaces: [WORKSPACE], ttlSeconds: 3600, role: 'bot', subject: 'bot' });
    site = await serveBrowserFixture();
    browser = await launchChromium();
    bot = await startBot(server.url, token);
  }, 180_000);

  afterEach(async () => {
    await held?.release().catch(() => undefined);
    held = undefined;
    await Promise.all(pages.map((page) => page.close().catch(() => undefined)));
    pages = [];
    await browser.context.setOffline(false);
  });

  afterAll(async () => {
    await bot?.close();
    await browser?.close();
    await browser?.removeProfile();
    await site?.close();
    await server?.close();
  });

  /** A leader and a follower on a store of their own (each test its own election). */
  const twoTabs = (tabToken = token) =>
    openLeaderAndFollower(browser, site.url, { store: `tabs-${storeCount++}`, token: tabToken, url: server.url }, (page) =>
      pages.push(page),
    );

  const onServer = async (id: string) => (await pullAll(server.url, token)).filter((doc) => doc.id === id).length;

  /** The follower's write reaches the server and the server's write reaches the follower. */
  async function followerSyncsBothWays(follower: Page, label: string): Promise<void> {
    const id = await createAction(follower, WORKSPACE, `${label}: written in the visible tab`);
    expect(await writeSettles(follower, id, SETTLE_LIMIT_MS)).toBe('settled');
    expect(await onServer(id)).toBe(1);
    const fromServer = await bot.action({ reason: `${label}: written by the bot`, priority: 40 });
    await expect.poll(() => holds(follower, fromServer), { timeout: STEP }).toBe(true);
  }

  it(
    'a leader that goes hidden hands replication to the visible tab',
    async () => {
      const { leader, follower } = await twoTabs();
      await hide(leader);
      await expect.poll(() => isLeader(follower), { timeout: STEP }).toBe(true);
      await expect.poll(() => isLeader(leader), { timeout: STEP }).toBe(false);
      await followerSyncsBothWays(follower, 'hidden');
    },
    STEP * 3,
  );

  it(
    'hidden then frozen: the leader lets go on freeze, and the visible tab syncs while its thread is held',
    async () => {
      const { leader, follower } = await twoTabs();
      // The lifecycle a browser gives a background tab: hidden, then freeze (then no task runs).
      const stillLeads = await leader.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
        document.dispatchEvent(new Event('visibilitychange'));
        document.dispatchEvent(new Event('freeze'));
        return (window as unknown as TabWindow).sync.isLeader();
      });
      expect(stillLeads).toBe(false);
      held = await holdMainThread(leader);
      await expect.poll(() => isLeader(follower), { timeout: STEP }).toBe(true);
      await followerSyncsBothWays(follower, 'frozen');
      expect(held.running()).toBe(true);
    },
    STEP * 3,
  );

  it(
    'a leader stuck in a long task with no warning: the visible tab takes over within seconds, the stuck one stands down when it wakes',
    async () => {
      const { leader, follower } = await twoTabs();
      held = await holdMainThread(leader);
      await expect.poll(() => isLeader(follower), { timeout: STEP }).toBe(true);
      await followerSyncsBothWays(follower, 'stuck');
      expect(held.running()).toBe(true);
      await held.release();
      held = undefined;
      // Awake again, it finds its lock taken and stops replicating; one tab leads.
      await expect.poll(() => isLeader(leader), { timeout: STEP }).toBe(false);
      expect(await isLeader(follower)).toBe(true);
      const after = await createAction(leader, WORKSPACE, 'stuck: written in the woken tab');
      expect(await writeSettles(leader, after, SETTLE_LIMIT_MS)).toBe('settled');
      expect(await onServer(after)).toBe(1);
    },
    STEP * 3,
  );

  it(
    'the leader closed mid-push: the other tab pushes the write again, and the server holds it once',
    async () => {
      const { leader, follower } = await twoTabs();
      // The leader's push leaves but never gets an answer.
      let pushSeen!: () => void;
      const pushed = new Promise<void>((resolve) => (pushSeen = resolve));
      await leader.route('**/sync/brainActions/push', () => pushSeen());
      const id = await createAction(follower, WORKSPACE, 'closed: in flight when the leader closed');
      await pushed;
      await leader.close({ runBeforeUnload: true });
      await expect.poll(() => isLeader(follower), { timeout: STEP }).toBe(true);
      expect(await writeSettles(follower, id, SETTLE_LIMIT_MS)).toBe('settled');
      expect(await onServer(id)).toBe(1);
      await expect.poll(() => statusOf(follower), { timeout: STEP }).toMatchObject({ state: 'idle', pending: 0 });
    },
    STEP * 3,
  );

  it(
    'the follower shows the leader’s offline state, then online again',
    async () => {
      const { leader, follower } = await twoTabs();
      await browser.context.setOffline(true);
      await createAction(follower, WORKSPACE, 'offline: written in the follower');
      await expect.poll(() => statusOf(leader), { timeout: STEP }).toMatchObject({ state: 'offline', pending: 1, error: 'NETWORK' });
      await expect.poll(() => statusOf(follower), { timeout: STEP }).toMatchObject({ state: 'offline', pending: 1, error: 'NETWORK' });
      expect(await isLeader(follower)).toBe(false);
      await browser.context.setOffline(false);
      await leader.evaluate(() => (window as unknown as TabWindow).sync.resync());
      await expect.poll(() => statusOf(follower), { timeout: STEP }).toMatchObject({ state: 'idle', pending: 0 });
    },
    STEP * 3,
  );

  it(
    'a write the server refused shows in the follower too, and clearing it in the follower clears it everywhere',
    async () => {
      // A member may not create actions: the server refuses the follower's create.
      const member = await createAccessToken({
        secret: server.secret,
        workspaces: [WORKSPACE],
        ttlSeconds: 3600,
        role: 'member',
        subject: 'm1',
      });
      const { leader, follower } = await twoTabs(member);
      const id = await createAction(follower, WORKSPACE, 'refused: a member may not create');
      await expect.poll(() => rejectedIn(leader), { timeout: STEP }).toEqual([{ id, code: 'FORBIDDEN_ROLE' }]);
      await expect.poll(() => rejectedIn(follower), { timeout: STEP }).toEqual([{ id, code: 'FORBIDDEN_ROLE' }]);
      await follower.evaluate(() => (window as unknown as TabWindow).sync.clearRejected());
      await expect.poll(() => rejectedIn(leader), { timeout: STEP }).toEqual([]);
    },
    STEP * 3,
  );
});
