/**
 * Two or more tabs of one browser profile on one IndexedDB store, each replicating with
 * replicateBrainStore (the fixture bundle on window.brainStore): opening tabs, reading their
 * status, leadership and refused writes, writing, and holding a tab's main thread the way a
 * frozen or busy tab is held (a busy loop, ended through the DevTools protocol).
 */
import type { Page } from 'playwright-core';
import type { BrainStore, BrainSync, RejectedWrite, SyncStatus } from '../src/index.ts';
import type { LaunchedChromium } from './chromium.ts';
import type { BrowserFixtureApi } from './browser-fixture-entry.ts';

export interface TabWindow {
  brainStore: BrowserFixtureApi;
  store: BrainStore;
  sync: BrainSync;
  syncStatus: SyncStatus | undefined;
  rejected: readonly RejectedWrite[];
}

export interface TabOptions {
  readonly store: string;
  readonly token: string;
  readonly url: string;
}

/** Opens a tab on `site` with a store and its replication (retries every 200 ms). */
export async function openTab(browser: LaunchedChromium, site: string, options: TabOptions): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(site);
  await page.waitForFunction(() => 'brainStore' in window);
  await page.evaluate(async ({ url, token, store }) => {
    const w = window as unknown as TabWindow;
    w.store = await w.brainStore.createBrainStore({ name: store });
    w.sync = w.brainStore.replicateBrainStore(w.store, { url, token, retryTime: 200 });
    w.rejected = [];
    w.sync.status$.subscribe((status) => (w.syncStatus = status));
    w.sync.rejected$.subscribe((list) => (w.rejected = list));
  }, options);
  return page;
}

/**
 * A leader and a follower on store `options.store`: the leader's replication has started and
 * caught up once (held during its start it would keep an IndexedDB transaction open, which
 * blocks every tab — docs/multi-tab.md), and the follower has heard it and does not lead.
 * `opened` receives each page as it opens (to close it whatever happens next).
 */
export async function openLeaderAndFollower(
  browser: LaunchedChromium,
  site: string,
  options: TabOptions,
  opened: (page: Page) => void = () => undefined,
): Promise<{ leader: Page; follower: Page }> {
  const timeout = 60_000;
  const leader = await openTab(browser, site, options);
  opened(leader);
  await leader.waitForFunction(() => (window as unknown as TabWindow).sync.isLeader(), undefined, { timeout });
  await leader.evaluate(() => (window as unknown as TabWindow).sync.awaitInSync());
  const follower = await openTab(browser, site, options);
  opened(follower);
  await follower.waitForFunction(() => (window as unknown as TabWindow).syncStatus?.lastSyncedAt != null, undefined, { timeout });
  if (await isLeader(follower)) throw new Error('the second tab took the lead from a healthy visible one');
  return { leader, follower };
}

/** The tab's latest status as plain data (an error by its code). */
export const statusOf = (page: Page) =>
  page.evaluate(() => {
    const current = (window as unknown as TabWindow).syncStatus;
    if (!current) return undefined;
    const { error, ...rest } = current;
    return { ...rest, ...(error ? { error: error.code } : {}) };
  });

export const isLeader = (page: Page) => page.evaluate(() => (window as unknown as TabWindow).sync.isLeader());

export const rejectedIn = (page: Page) =>
  page.evaluate(() => (window as unknown as TabWindow).rejected.map((write) => ({ id: String(write.document['id']), code: write.code })));

export function createAction(page: Page, workspace: string, reason: string): Promise<string> {
  return page.evaluate(
    ({ workspace, reason }) =>
      (window as unknown as TabWindow).store.brainActions.createActionRecommendation({
        workspace_id: workspace,
        contact_id: 'c1',
        action_type: 'follow_up',
        priority: 50,
        urgency: 'today',
        reason,
      }),
    { workspace, reason },
  );
}

/** Whether the tab's store holds document `id` (e.g. a write of the server's arrived). */
export const holds = (page: Page, id: string) =>
  page.evaluate(async (id) => (await (window as unknown as TabWindow).store.database.brainActions.findOne(id).exec()) !== null, id);

/** 'settled', or 'hung' after `limitMs`: awaitWrite(id) in the tab. */
export function writeSettles(page: Page, id: string, limitMs: number): Promise<string> {
  return page.evaluate(
    ({ id, limitMs }) =>
      Promise.race([
        (window as unknown as TabWindow).sync.awaitWrite(id).then(() => 'settled'),
        new Promise<string>((done) => setTimeout(() => done('hung'), limitMs)),
      ]),
    { id, limitMs },
  );
}

/** Makes the tab report itself hidden (as when another tab is brought to the front). */
export function hide(page: Page): Promise<void> {
  return page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

export interface HeldThread {
  /** Whether the busy loop is still running (it has not returned to the test). */
  readonly running: () => boolean;
  /** Ends the loop (Runtime.terminateExecution) and waits until the tab answers again. */
  release(): Promise<void>;
}

/**
 * Holds the tab's main thread in a busy loop, as a tab stuck in a long task or frozen by
 * the browser: no timer, message or lock callback of the tab runs until release().
 */
export async function holdMainThread(page: Page, maxMs = 120_000): Promise<HeldThread> {
  const session = await page.context().newCDPSession(page);
  let running = true;
  void page
    .evaluate((maxMs) => {
      const end = Date.now() + maxMs;
      while (Date.now() < end) {
        // Busy: the page's event loop does not turn.
      }
    }, maxMs)
    .catch(() => undefined)
    .finally(() => (running = false));
  // The loop has begun once the page stops answering quickly.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    running: () => running,
    release: async () => {
      await session.send('Runtime.terminateExecution');
      await page.evaluate(() => true);
      await session.detach();
    },
  };
}
