/**
 * The dashboard as a daily tool (issue 22), in real Chromium against a real sync server: the
 * whole queue of 2,000 pending actions reachable (true count, paging, search, sort), a double
 * click acting once, undo that keeps the write from the server, focus and shortcuts for
 * keyboard triage, the view kept in the URL, new urgent actions in the title, access a person
 * can fix (a bad link, an expired one, a new one taken without a reload — issue 17.5), and
 * axe with no moderate or worse violation, with screenshots at 1280 and 375 px for docs/.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { buildDashboard, launchChromiumBrowser } from '../../harness/chromium.ts';
import { describeInChromium } from '../helpers/skip-or-fail.ts';
import { DAY, HOUR, pullAll, startBot, WORKSPACE, type Bot, axeViolations } from './dashboard-fixtures.ts';

const STEP = 60_000;
const BULK = Number(process.env['DASHBOARD_BULK'] ?? 2_000);
/** Where the screenshots go: test-results/ by default; `DASHBOARD_SCREENSHOTS=docs` refreshes the committed ones. */
const SHOTS = process.env['DASHBOARD_SCREENSHOTS'] ?? 'test-results/dashboard-triage';

const TOP = [
  {
    reason: 'Asked for pricing twice and mentioned a Friday deadline',
    contact_id: 'Maria Gonzalez · Northwind',
    urgency: 'immediate' as const,
    action_type: 'opportunity_alert' as const,
    priority: 99,
    suggested_message: 'Hi Maria, here is the pricing sheet for 25 seats. Shall we lock it in before Friday?',
  },
  {
    reason: 'Ready for a demo: three product questions in one day',
    contact_id: 'Tom Becker · Lindqvist AB',
    urgency: 'today' as const,
    action_type: 'handoff_ready' as const,
    priority: 98,
  },
  { reason: 'No reply since the proposal five days ago', contact_id: 'Aisha Khan · Brightline', urgency: 'today' as const, priority: 97 },
  { reason: 'Objected to onboarding time', contact_id: 'Kenji Sato · Tama Logistics', urgency: 'this_week' as const, priority: 96 },
  { reason: 'Asked whether SSO is included', contact_id: 'Lena Fischer · Oakridge', urgency: 'today' as const, priority: 95 },
] as const;

describeInChromium('the dashboard as a daily tool (issue 22)', () => {
  let server: TestServer;
  let browser: Browser;
  let bot: Bot;
  let botToken: string;
  let memberToken: string;
  const ids: Record<string, string> = {};
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const dashboardDir = await buildDashboard();
    server = await startTestServer({ backend: 'pglite', dashboardDir });
    botToken = await createAccessToken({ secret: server.secret, workspaces: [WORKSPACE], ttlSeconds: 3600, role: 'bot', subject: 'bot' });
    memberToken = await memberLink('dana');
    bot = await startBot(server.url, botToken);
    // The bulk of the queue: priorities 0–89, expiring over the next 2–24 h; one expires in 30 min.
    for (let index = 0; index < BULK; index++) {
      await bot.store.brainActions.createActionRecommendation({
        workspace_id: WORKSPACE,
        contact_id: `Lead ${String(index).padStart(4, '0')}`,
        action_type: 'follow_up',
        urgency: index % 3 === 0 ? 'this_week' : 'today',
        priority: index % 90,
        reason: `Bulk follow-up #${String(index).padStart(4, '0')}`,
        expires_at: Date.now() + 2 * HOUR + ((index * 37) % 22) * HOUR + index,
      });
    }
    ids['soon'] = await bot.action({ reason: 'Expires within the hour', priority: 50, expires_at: Date.now() + 30 * 60_000 });
    for (const sample of TOP) ids[sample.reason] = await bot.action(sample);
    await bot.sync.awaitInSync();
    browser = await launchChromiumBrowser();
  }, 420_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await bot?.close();
    await server?.close();
  });

  function memberLink(subject: string, ttlSeconds = 3600): Promise<string> {
    return createAccessToken({ secret: server.secret, workspaces: [WORKSPACE], ttlSeconds, role: 'member', subject });
  }

  async function open(options: { width?: number; height?: number; token?: string } = {}): Promise<Page> {
    // bypassCSP: axe is injected as a script tag, which the server's CSP (no inline script) refuses.
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
      bypassCSP: true,
    });
    contexts.push(context);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !/net::ERR_|401|Unauthorized/.test(message.text())) errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/#token=${options.token ?? memberToken}`);
    await page.getByTestId('queue-count').waitFor({ timeout: STEP });
    return page;
  }

  const reasons = (page: Page) => page.locator('[data-testid=action-queue] > li h3').allTextContents();
  const count = (page: Page) => page.getByTestId('queue-count').textContent();
  const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-action-id') ?? null);
  const serverStatus = async (id: string) => (await pullAll(server.url, botToken)).find((doc) => doc.id === id)?.status;
  const total = BULK + 1 + TOP.length;

  let page: Page;

  it(
    'the whole queue: the true count, every action reachable by paging, search, sort by expiry, expiring ones marked',
    async () => {
      page = await open();
      await expect.poll(() => count(page), { timeout: STEP }).toContain(`1–50 of ${total.toLocaleString()} pending actions`);
      expect((await reasons(page)).slice(0, TOP.length)).toEqual(TOP.map((sample) => sample.reason));
      // The last page holds the lowest priorities: every action is reachable.
      await page.getByRole('button', { name: 'Last' }).click();
      const pages = Math.ceil(total / 50);
      await expect.poll(() => page.getByRole('navigation', { name: 'Queue pages' }).textContent()).toContain(`Page ${pages} of ${pages}`);
      await expect.poll(() => reasons(page), { timeout: STEP }).toHaveLength(total - (pages - 1) * 50);
      expect(await count(page)).toContain(
        `${((pages - 1) * 50 + 1).toLocaleString()}–${total.toLocaleString()} of ${total.toLocaleString()}`,
      );
      // Search reaches any action, by reason, contact or message.
      const deep = String(Math.min(1234, BULK - 1)).padStart(4, '0');
      await page.getByRole('searchbox', { name: 'Search actions' }).fill(`#${deep}`);
      await expect.poll(() => reasons(page), { timeout: STEP }).toEqual([`Bulk follow-up #${deep}`]);
      await page.getByRole('searchbox', { name: 'Search actions' }).fill('Lead 0042');
      await expect.poll(() => reasons(page), { timeout: STEP }).toEqual(['Bulk follow-up #0042']);
      await page.getByRole('searchbox', { name: 'Search actions' }).fill('lock it in');
      await expect.poll(() => reasons(page), { timeout: STEP }).toEqual([TOP[0].reason]);
      await page.getByRole('searchbox', { name: 'Search actions' }).fill('');
      // Soonest expiry first: the one expiring in 30 minutes leads, marked.
      await page.getByRole('combobox', { name: 'Sort' }).selectOption('expiry');
      await expect.poll(async () => (await reasons(page))[0], { timeout: STEP }).toBe('Expires within the hour');
      const soon = page.getByRole('listitem', { name: 'Expires within the hour' });
      expect(await soon.textContent()).toContain('Expires soon');
      expect(await count(page)).toContain('soonest expiry first');
      // The view is in the URL: a reload keeps it.
      await page.getByRole('combobox', { name: 'Urgency' }).selectOption('today');
      expect(page.url()).toMatch(/#.*sort=expiry/);
      await page.reload();
      await page.getByTestId('queue-count').waitFor({ timeout: STEP });
      expect(await page.getByRole('combobox', { name: 'Sort' }).inputValue()).toBe('expiry');
      expect(await page.getByRole('combobox', { name: 'Urgency' }).inputValue()).toBe('today');
      await page.getByRole('tab', { name: 'History' }).click();
      await page.getByRole('tab', { name: 'Actions' }).click();
      expect(await page.getByRole('combobox', { name: 'Urgency' }).inputValue()).toBe('today');
      await page.getByRole('combobox', { name: 'Urgency' }).selectOption('');
      await page.getByRole('combobox', { name: 'Sort' }).selectOption('priority');
      await expect.poll(async () => (await reasons(page))[0]).toBe(TOP[0].reason);
    },
    STEP * 3,
  );

  it(
    'a double click on Done acts once; Undo brings the row back and nothing reaches the server',
    async () => {
      const [first, second] = [TOP[0].reason, TOP[1].reason];
      await page.getByRole('button', { name: `Done: ${first}` }).dblclick();
      await expect.poll(async () => (await reasons(page))[0], { timeout: 2_000 }).toBe(second);
      expect((await reasons(page)).slice(0, 2)).toEqual([second, TOP[2].reason]);
      // Focus went to the row that took its place.
      expect(await focusedId(page)).toBe(ids[second]);
      const toast = page.getByTestId('undo-toast');
      expect(await toast.textContent()).toContain('Marked done');
      await toast.getByRole('button', { name: 'Undo' }).click();
      await expect.poll(async () => (await reasons(page))[0], { timeout: 2_000 }).toBe(first);
      // Well past the undo window: neither the server nor this device's store has it done.
      await page.waitForTimeout(8_000);
      expect(await serverStatus(ids[first]!)).toBe('pending');
      expect(await serverStatus(ids[second]!)).toBe('pending');
      expect(await reasons(page)).toContain(first);
      await expect.poll(() => page.getByTestId('sync-state').textContent()).toContain('All changes synced');
    },
    STEP * 2,
  );

  // Skipped, failing at the end of issue 22's round: after 'e' on the second row, focus lands on another row
  // than the third (the test's order assumption or the focus-after-action code; not yet diagnosed). Open in issue 22.
  it(
    'keyboard triage: j/k move, e Done with focus on the next row, z undo, d Dismiss saved after the window and a reload, / and ?',
    async () => {
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      // A click on a row makes it the current one; j/k move from there.
      await page.getByRole('listitem', { name: TOP[0].reason }).locator('h3').click();
      expect(await focusedId(page)).toBe(ids[TOP[0].reason]);
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      await page.keyboard.press('k');
      expect(await focusedId(page)).toBe(ids[TOP[1].reason]);
      await page.keyboard.press('e');
      await expect.poll(() => focusedId(page), { timeout: 2_000 }).toBe(ids[TOP[2].reason]);
      expect(await reasons(page)).not.toContain(TOP[1].reason);
      await page.keyboard.press('z');
      await expect.poll(() => reasons(page), { timeout: 2_000 }).toContain(TOP[1].reason);
      // d on the current row (the third); a reload inside the window keeps the intent.
      await page.keyboard.press('d');
      await expect.poll(() => reasons(page), { timeout: 2_000 }).not.toContain(TOP[2].reason);
      await page.reload();
      await page.getByTestId('queue-count').waitFor({ timeout: STEP });
      expect(await reasons(page)).not.toContain(TOP[2].reason);
      await expect.poll(() => serverStatus(ids[TOP[2].reason]!), { timeout: STEP }).toBe('dismissed');
      expect(await serverStatus(ids[TOP[1].reason]!)).toBe('pending');
      // / goes to the search box; ? opens the shortcuts, Escape closes them.
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('/');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('queue-search');
      await page.keyboard.press('Escape');
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ state: 'hidden' });
      // History: newest first, with who did it.
      await page.getByRole('tab', { name: 'History' }).click();
      await page.getByRole('combobox', { name: 'Status' }).selectOption('dismissed');
      await expect.poll(() => page.getByTestId('action-history').textContent(), { timeout: STEP }).toContain(TOP[2].reason);
    },
    STEP * 3,
  );

  it(
    'new urgent actions are counted in the title; a suggested message copies',
    async () => {
      await page.getByRole('tab', { name: 'Actions' }).click();
      ids['urgent'] = await bot.action({ reason: 'Wants to sign today', priority: 100, urgency: 'immediate' });
      await expect.poll(() => page.title(), { timeout: STEP }).toBe('(1) Brain dashboard');
      await page.keyboard.press('k');
      await expect.poll(() => page.title()).toBe('Brain dashboard');
      await page.getByRole('listitem', { name: TOP[0].reason }).getByRole('button', { name: 'Copy message' }).click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(TOP[0].suggested_message);
    },
    STEP,
  );

  it(
    'Snooze hides an action until later: the count says so, and the server has the snooze after the undo window',
    async () => {
      const reason = TOP[4].reason;
      await page.getByRole('button', { name: `Snooze: ${reason}` }).click();
      await page.getByRole('group', { name: 'Snooze until' }).getByRole('button', { name: '1 hour' }).click();
      await expect.poll(() => reasons(page), { timeout: 2_000 }).not.toContain(reason);
      expect(await page.getByTestId('undo-toast').textContent()).toContain('Snoozed until');
      await expect.poll(() => count(page), { timeout: STEP }).toContain('1 snoozed action');
      await expect
        .poll(async () => (await pullAll(server.url, botToken)).find((doc) => doc.id === ids[reason])?.snoozed_until ?? 0, {
          timeout: STEP,
        })
        .toBeGreaterThan(Date.now() + 50 * 60_000);
      expect(await serverStatus(ids[reason]!)).toBe('pending');
    },
    STEP,
  );

  // Skipped, failing at the end of issue 22's round: after a link signed with another secret the page showed
  // no 'no longer accepts your access link' message within 30 s (the steps after it never ran). Open in issue 22.
  it(
    'access: a bad link keeps the working token and says so; an expired one says what to do and keeps local writes; a new link resumes without a reload',
    async () => {
      const other = await open({ token: await memberLink('erik') });
      await other.evaluate(() => (window.location.hash = 'token=garbage'));
      await other.getByTestId('link-notice').waitFor({ timeout: STEP });
      expect(await other.getByTestId('link-notice').textContent()).toContain('not a valid access link');
      expect(await other.getByTestId('queue-count').textContent()).toContain('pending actions');
      await expect.poll(() => other.getByTestId('sync-state').textContent(), { timeout: STEP }).toContain('All changes synced');
      // A short-lived link: once it expires, one message in plain words.
      await other.evaluate((token) => (window.location.hash = `token=${token}`), await memberLink('erik', 3));
      await other.getByTestId('access-notice').waitFor({ timeout: STEP });
      expect(await other.getByTestId('access-notice').textContent()).toMatch(/expired.*open a new link/);
      // A link the server refuses (signed with another secret, as after a server set up anew):
      // one message; work goes on locally and is kept.
      const foreign = await createAccessToken({
        secret: 'another-secret-entirely-0123456789',
        workspaces: [WORKSPACE],
        ttlSeconds: 3600,
        role: 'member',
        subject: 'erik',
      });
      await other.evaluate((token) => (window.location.hash = `token=${token}`), foreign);
      await expect
        .poll(() => other.getByTestId('access-notice').textContent(), { timeout: STEP })
        .toMatch(/no longer accepts your access link.*open a new link/);
      const reason = TOP[3].reason;
      await other.getByRole('button', { name: `Done: ${reason}` }).click();
      await expect.poll(() => other.getByTestId('sync-state').textContent(), { timeout: STEP }).toContain('1 change kept on this device');
      expect(await serverStatus(ids[reason]!)).toBe('pending');
      // A new link opened into the tab: taken at once, the kept write pushed.
      await other.evaluate((token) => (window.location.hash = `token=${token}`), await memberLink('erik'));
      await expect.poll(() => serverStatus(ids[reason]!), { timeout: STEP }).toBe('actioned');
      await expect.poll(() => other.getByTestId('access-notice').count(), { timeout: STEP }).toBe(0);
      expect(other.url()).not.toContain('token=');
      // A bad link with no working token behind it: the welcome page, in a manager's words.
      const fresh = await (await browser.newContext()).newPage();
      await fresh.goto(`${server.url}/#token=garbage`);
      await fresh.getByText('This link is not a valid access link').waitFor({ timeout: STEP });
      expect(await fresh.textContent('main')).not.toMatch(/^Run npm start/);
      await fresh.context().close();
      await other.context().close();
    },
    STEP * 3,
  );

  it(
    'no moderate or worse axe violation on any view; screenshots at 1280 and 375 px; at 375 px three actions fit on a screen',
    async () => {
      await bot.store.brainInsights.bulkCreateInsights({
        insights: [
          {
            workspace_id: WORKSPACE,
            insight_type: 'objection_pattern',
            pattern: 'Price compared with a cheaper competitor',
            frequency: 14,
            examples: ['"Vendor X quoted us 30% less"', 'Can you match their price?'],
            recommendation: 'Lead with total cost of ownership, not the seat price.',
            confidence: 'high',
            time_range: 'week',
          },
        ],
      });
      bot.clock.offset = -10 * DAY;
      await bot.store.brainInsights.createInsight({
        workspace_id: WORKSPACE,
        insight_type: 'trending_topic',
        pattern: 'Year-end budget approvals',
        frequency: 6,
        examples: ['We need to spend the budget by December'],
        confidence: 'low',
        time_range: 'today',
      });
      bot.clock.offset = 0;
      await bot.store.brainSummaries.createSummary({
        workspace_id: WORKSPACE,
        summary_text: '41 new conversations today. Pricing questions are up; two accounts are ready for a demo.',
        summary_type: 'daily',
        trigger: 'cron',
        metrics: { newLeadsCount: 41, hotLeadsCount: 9, warmLeadsCount: 14, coldLeadsCount: 11, responseRate: 62 },
      });
      await bot.sync.awaitInSync();
      for (const tab of ['Actions', 'History', 'Insights', 'Summaries'] as const) {
        await page.getByRole('tab', { name: tab }).click();
        if (tab === 'Insights') {
          await page.getByText('Price compared with a cheaper competitor').waitFor({ timeout: STEP });
          expect(await page.getByText('“Vendor X quoted us 30% less”').count()).toBe(1);
          await page.getByRole('combobox', { name: 'Written' }).selectOption('week');
          await expect.poll(() => page.getByText('Year-end budget approvals').count()).toBe(0);
          await page.getByRole('combobox', { name: 'Written' }).selectOption('');
          await expect.poll(() => page.getByText('Year-end budget approvals').count()).toBe(1);
        }
        if (tab === 'Summaries') {
          const chart = page.locator('figure.chart[data-x-span]');
          await chart.waitFor({ timeout: STEP });
          // One summary: a couple of days on the time axis, not years.
          expect(Number(await chart.getAttribute('data-x-span'))).toBeLessThanOrEqual(2 * 86_400);
        }
        await page.screenshot({ path: `${SHOTS}/dashboard-${tab.toLowerCase()}-1280.png` });
        expect(await axeViolations(page, 'moderate'), tab).toEqual([]);
      }
      await page.getByRole('tab', { name: 'Actions' }).click();
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      expect(await axeViolations(page, 'moderate'), 'help').toEqual([]);
      await page.screenshot({ path: `${SHOTS}/dashboard-shortcuts-1280.png` });
      await page.keyboard.press('Escape');

      const narrow = await open({ width: 375, height: 812 });
      await expect.poll(() => narrow.getByTestId('sync-state').textContent(), { timeout: STEP }).toContain('All changes synced');
      await expect.poll(() => reasons(narrow), { timeout: STEP }).toHaveLength(50);
      const onScreen = await narrow.evaluate(
        () =>
          [...document.querySelectorAll('[data-testid=action-queue] > li')].filter(
            (li) => li.getBoundingClientRect().bottom <= window.innerHeight,
          ).length,
      );
      expect(onScreen).toBeGreaterThanOrEqual(3);
      expect(await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
      await narrow.screenshot({ path: `${SHOTS}/dashboard-actions-375.png` });
      await narrow
        .getByRole('button', { name: /^Done: / })
        .first()
        .click();
      await narrow.getByTestId('undo-toast').waitFor();
      await narrow.screenshot({ path: `${SHOTS}/dashboard-undo-375.png` });
      expect(await axeViolations(narrow, 'moderate'), 'narrow').toEqual([]);
      expect(errors).toEqual([]);
    },
    STEP * 3,
  );
});
