/**
 * The dashboard's service worker in real Chromium: a new build deployed while a page is open
 * is offered as "A new version is available — Reload", activates only on the click, and the
 * write made offline before it survives the reload and syncs (issue 20.4).
 *
 * Background Sync with every page closed (issue 18.3): the write left in the outbox by the
 * last tab reaches the server through the worker alone.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { buildDashboard, launchChromiumBrowser } from '../../harness/chromium.ts';
import { describeInChromium } from '../helpers/skip-or-fail.ts';
import { pullAll, startBot, WORKSPACE, type Bot } from './dashboard-fixtures.ts';

const STEP = 60_000;

describeInChromium('the dashboard service worker: a new build waits for the person (issue 20.4)', () => {
  let server: TestServer;
  let site: string;
  let browser: Browser;
  let bot: Bot;
  let botToken: string;
  let memberToken: string;

  beforeAll(async () => {
    // A copy of the build: "deploying" a new one rewrites its worker script.
    site = await mkdtemp(join(tmpdir(), 'brain-store-dashboard-'));
    await cp(await buildDashboard(), site, { recursive: true });
    server = await startTestServer({ backend: 'pglite', dashboardDir: site });
    botToken = await createAccessToken({ secret: server.secret, workspaces: [WORKSPACE], ttlSeconds: 3600, role: 'bot', subject: 'bot' });
    memberToken = await createAccessToken({
      secret: server.secret,
      workspaces: [WORKSPACE],
      ttlSeconds: 3600,
      role: 'member',
      subject: 'dana',
    });
    bot = await startBot(server.url, botToken);
    browser = await launchChromiumBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await bot?.close();
    await server?.close();
    if (site) await rm(site, { recursive: true, force: true });
  });

  const cut = (route: Route) => route.abort('internetdisconnected');
  const row = (page: Page, reason: string) => page.getByRole('listitem', { name: reason });
  const syncState = (page: Page) => page.getByTestId('sync-state').textContent();
  const serverStatus = async (id: string) => (await pullAll(server.url, botToken)).find((doc) => doc.id === id)?.status;

  /** A page of the dashboard controlled by its service worker, showing `reason`. */
  async function openControlled(context: BrowserContext, reason: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${server.url}/#token=${memberToken}`);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: STEP });
    await row(page, reason).waitFor({ timeout: STEP });
    // The first sync of every collection done: from here a write is pushed as soon as it is made.
    await expect.poll(() => syncState(page), { timeout: STEP }).toMatch(/All changes synced/);
    return page;
  }

  /** Done on the row while the sync API is unreachable: the write stays pending. */
  async function doneOffline(context: BrowserContext, page: Page, reason: string): Promise<void> {
    // Offline emulation alone has let a push through (see dashboard.test.ts): the sync API is cut too.
    await context.route('**/sync/**', cut);
    await context.setOffline(true);
    await row(page, reason)
      .getByRole('button', { name: `Done: ${reason}`, exact: true })
      .click();
    await expect.poll(() => syncState(page), { timeout: STEP }).toMatch(/1 change (saved on this device|waiting)/);
  }

  it(
    'a new build waits for the click on "Reload"; the write made offline before it survives and syncs',
    async () => {
      const context = await browser.newContext();
      const reason = 'Update: done offline before the new build';
      const id = await bot.action({ reason, priority: 70 });
      const page = await openControlled(context, reason);
      const firstWorker = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
      expect(await page.getByRole('button', { name: 'Reload' }).count()).toBe(0);
      await doneOffline(context, page, reason);
      expect(await serverStatus(id)).toBe('pending');

      // Deploy: the worker script changes. Only the page's own requests stay cut; the update check goes out.
      await context.setOffline(false);
      const worker = join(site, 'sw.js');
      await writeFile(worker, `${await readFile(worker, 'utf8')}\n// build 2\n`);
      await page.evaluate(() => navigator.serviceWorker.getRegistration().then((registration) => registration?.update()));
      const banner = page.getByRole('status').filter({ hasText: 'A new version is available' });
      await banner.waitFor({ timeout: STEP });
      // Waiting, not active: the page still runs under the old worker until the click.
      expect(
        await page.evaluate(() => navigator.serviceWorker.getRegistration().then((registration) => registration?.waiting !== null)),
      ).toBe(true);
      expect(await syncState(page)).toMatch(/1 change (saved on this device|waiting)/);

      await context.unroute('**/sync/**', cut);
      const reloaded = page.waitForEvent('load', { timeout: STEP });
      await banner.getByRole('button', { name: 'Reload' }).click();
      await reloaded;
      await page.getByRole('heading', { name: 'Action queue' }).waitFor({ timeout: STEP });
      expect(
        await page.evaluate(() => navigator.serviceWorker.getRegistration().then((registration) => registration?.waiting ?? null)),
      ).toBeNull();
      expect(await page.getByRole('button', { name: 'Reload' }).count()).toBe(0);
      expect(firstWorker).toMatch(/\/sw\.js$/);
      await expect.poll(() => serverStatus(id), { timeout: STEP }).toBe('actioned');
      await expect.poll(() => syncState(page), { timeout: STEP }).toMatch(/All changes synced/);
      await context.close();
    },
    STEP * 4,
  );

  it(
    'Background Sync: the last tab closes offline with a write pending; online again, the worker pushes it with no tab open',
    async () => {
      const context = await browser.newContext();
      const reason = 'Background Sync: done offline, then the tab closed';
      const id = await bot.action({ reason, priority: 71 });
      const page = await openControlled(context, reason);
      await doneOffline(context, page, reason);
      // While it runs, the page keeps the outbox current: the unanswered push waits there.
      await expect.poll(() => outboxRows(page), { timeout: STEP }).toEqual([id]);
      // Closing the last tab: its keepalive push fails too (still offline).
      const closed = page.waitForEvent('close');
      await page.close({ runBeforeUnload: true });
      await closed;
      expect(context.pages()).toHaveLength(0);
      expect(await serverStatus(id)).toBe('pending');

      // Online again with no page of the dashboard open: Chromium fires the worker's sync event
      // (and here DevTools dispatches it too, so the test does not depend on when Chromium does).
      await context.unroute('**/sync/**', cut);
      await context.setOffline(false);
      const devtools = await context.newPage();
      await devtools.goto(`${server.url}/healthz`);
      const cdp = await context.newCDPSession(devtools);
      const registration = new Promise<string>((resolve) =>
        cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
          const ours = registrations.find((entry) => entry.scopeURL.startsWith(server.url) && !entry.isDeleted);
          if (ours) resolve(ours.registrationId);
        }),
      );
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.dispatchSyncEvent', {
        origin: server.url,
        registrationId: await registration,
        tag: 'brain-store-push',
        lastChance: false,
      });
      await expect.poll(() => serverStatus(id), { timeout: STEP }).toBe('actioned');
      const onServer = (await pullAll(server.url, botToken)).find((doc) => doc.id === id);
      expect(onServer?.actioned_by).toBe('dana');

      // The next visit finds nothing pending, and the outbox emptied.
      const again = await context.newPage();
      await again.goto(`${server.url}/`);
      await again.getByRole('heading', { name: 'Action queue' }).waitFor({ timeout: STEP });
      await expect.poll(() => syncState(again), { timeout: STEP }).toMatch(/All changes synced/);
      expect(await outboxRows(again)).toEqual([]);
      await context.close();
    },
    STEP * 4,
  );

  /** The ids of the rows the page left in the outbox for the service worker. */
  function outboxRows(page: Page): Promise<string[]> {
    return page.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          const open = indexedDB.open('brain-store-outbox');
          open.onerror = () => reject(open.error ?? new Error('outbox: open failed'));
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('pushes')) return resolve([]);
            const all = db.transaction('pushes').objectStore('pushes').getAll();
            all.onsuccess = () => {
              db.close();
              const entries = all.result as { rows: { newDocumentState: { id: string } }[] }[];
              resolve(entries.flatMap((entry) => entry.rows.map((row) => row.newDocumentState.id)));
            };
            all.onerror = () => reject(all.error ?? new Error('outbox: read failed'));
          };
        }),
    );
  }
});
