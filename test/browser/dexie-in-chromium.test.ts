/**
 * The store in a real browser: the public API bundled by vite, loaded in Debian's Chromium,
 * running on its default storage (Dexie over the page's real IndexedDB). Covers reads
 * (`exec` and `$`), a transition, durability across a reload and a browser relaunch, and
 * the shape of a validation error as the page sees it.
 *
 * The functions passed to page.evaluate run in the page: they are serialized, so they only
 * touch `window` and their arguments, never this module's imports.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { BrainStore, CreateActionArgs } from '../../src/index.ts';
import { T0, actionArgs } from '../queries/fixtures.ts';
import type { BrowserFixtureApi } from '../../harness/browser-fixture-entry.ts';
import { launchChromium, serveBrowserFixture, type LaunchedChromium, type StaticServer } from '../../harness/chromium.ts';
import { describeInChromium } from '../helpers/skip-or-fail.ts';

/** What the fixture and the evaluate callbacks keep on the page's window. */
interface PageWindow {
  brainStore: BrowserFixtureApi;
  store?: BrainStore;
}

const DB_NAME = 'brain-store-browser-test';
/** A browser launch or a page load can take seconds on a busy 2-core machine. */
const STEP_TIMEOUT = 60_000;

const action = (contact_id: string, priority: number): CreateActionArgs =>
  actionArgs({ contact_id, priority, reason: `reason for ${contact_id}` });

describeInChromium('brain-store in Chromium (Dexie over real IndexedDB)', () => {
  let server: StaticServer;
  let browser: LaunchedChromium;

  beforeAll(async () => {
    server = await serveBrowserFixture();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await browser?.removeProfile();
    await server?.close();
  });

  /** Loads the page and opens the store on the default storage with a fixed clock. */
  async function openPage(page: Page): Promise<void> {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.waitForFunction(() => 'brainStore' in window);
    await page.evaluate(
      async ({ name, now }) => {
        const w = window as unknown as PageWindow;
        w.store = await w.brainStore.createBrainStore({ name, now: () => now });
      },
      { name: DB_NAME, now: T0 },
    );
    expect(errors).toEqual([]);
  }

  let page: Page;
  let ids: { low: string; high: string; mid: string; top: string };

  it(
    'creates actions and reads them with exec() and $ on IndexedDB',
    async () => {
      page = await browser.context.newPage();
      await openPage(page);

      const result = await page.evaluate(
        async ({ first, late }) => {
          const store = (window as unknown as PageWindow).store!;
          const [low, high, mid] = [
            await store.brainActions.createActionRecommendation(first[0]!),
            await store.brainActions.createActionRecommendation(first[1]!),
            await store.brainActions.createActionRecommendation(first[2]!),
          ];
          const query = store.brainActions.getActionsByPriority({ workspace_id: 'w1' });
          const fromExec = (await query.exec()).map((a) => a.id);

          // Collect every emission of $; `emissionWhere` waits for the latest one to match a condition.
          const seen: string[][] = [];
          let wake: (() => void) | undefined;
          const subscription = query.$.subscribe((list) => {
            seen.push(list.map((a) => a.id));
            wake?.();
          });
          const emissionWhere = async (done: (ids: string[]) => boolean) => {
            while (!done(seen[seen.length - 1] ?? [])) await new Promise<void>((resolve) => (wake = resolve));
          };
          await emissionWhere((list) => list.length === 3);
          const top = await store.brainActions.createActionRecommendation(late);
          await emissionWhere((list) => list.includes(top));
          await store.brainActions.markActionActioned({ action_id: high, actioned_by: 'agent-7' });
          await emissionWhere((list) => !list.includes(high));
          subscription.unsubscribe();

          const databases = (await indexedDB.databases()).map((db) => db.name ?? '');
          return { ids: { low, high, mid, top }, fromExec, seen, storage: store.database.storage.name, databases };
        },
        { first: [action('c-low', 40), action('c-high', 90), action('c-mid', 70)], late: action('c-top', 95) },
      );

      ids = result.ids;
      const { low, high, mid, top } = ids;
      expect(result.fromExec).toEqual([high, mid, low]);
      expect(result.seen).toEqual([
        [high, mid, low],
        [top, high, mid, low],
        [top, mid, low],
      ]);
      expect(result.storage).toContain('dexie');
      expect(result.databases.some((name) => name.includes(DB_NAME))).toBe(true);
    },
    STEP_TIMEOUT,
  );

  it(
    'keeps the data across a page reload',
    async () => {
      await page.reload();
      await openPage(page);
      const after = await page.evaluate(async () => {
        const store = (window as unknown as PageWindow).store!;
        const pending = await store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec();
        const actioned = await store.brainActions.getActionsByWorkspace({ workspace_id: 'w1', status: 'actioned' }).exec();
        await store.close();
        return { pending: pending.map((a) => a.id), actioned };
      });
      expect(after.pending).toEqual([ids.top, ids.mid, ids.low]);
      expect(after.actioned).toHaveLength(1);
      expect(after.actioned[0]).toMatchObject({ id: ids.high, status: 'actioned', actioned_by: 'agent-7', actioned_at: T0 });
      await page.close();
    },
    STEP_TIMEOUT,
  );

  it(
    'keeps the data across a browser relaunch on the same profile',
    async () => {
      await browser.close();
      browser = await launchChromium({ userDataDir: browser.userDataDir });
      page = await browser.context.newPage();
      await openPage(page);
      const pending = await page.evaluate(async () => {
        const store = (window as unknown as PageWindow).store!;
        return (await store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec()).map((a) => a.id);
      });
      expect(pending).toEqual([ids.top, ids.mid, ids.low]);
    },
    STEP_TIMEOUT,
  );

  it(
    'surfaces bad input as a BrainStoreError with code VALIDATION and writes nothing',
    async () => {
      const outcome = await page.evaluate(
        async (bad) => {
          const { brainStore, store } = window as unknown as PageWindow;
          const before = (await store!.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec()).length;
          try {
            await store!.brainActions.createActionRecommendation(bad);
            return { threw: false as const };
          } catch (error) {
            const after = (await store!.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec()).length;
            await store!.close();
            return {
              threw: true as const,
              instance: error instanceof brainStore.BrainStoreError,
              guard: brainStore.isBrainStoreError(error, 'VALIDATION'),
              name: (error as Error).name,
              code: (error as { code?: unknown }).code,
              paths: ((error as { issues?: { path: (string | number)[] }[] }).issues ?? []).map((issue) => issue.path),
              unchanged: before === after,
            };
          }
        },
        action('c-bad', 101),
      );
      expect(outcome).toEqual({
        threw: true,
        instance: true,
        guard: true,
        name: 'BrainStoreError',
        code: 'VALIDATION',
        paths: [['priority']],
        unchanged: true,
      });
    },
    STEP_TIMEOUT,
  );
});
