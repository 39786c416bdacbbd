/**
 * Issue 20 in a real browser: the previous release's dashboard IndexedDB (the fixture dump,
 * made by that release's code) is restored into Chromium's IndexedDB; this release's store
 * opens it on its default storage (Dexie), RxDB migrates brainActions 0 → 1, and the member's
 * offline transitions are pushed to a server holding the previous release's documents.
 *
 * The functions passed to page.evaluate run in the page: they only touch `window` and their
 * arguments.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BrowserFixtureApi } from '../../harness/browser-fixture-entry.ts';
import { launchChromium, serveBrowserFixture, type LaunchedChromium, type StaticServer } from '../../harness/chromium.ts';
import type { BrainStore, BrainSync } from '../../src/index.ts';
import { restoreIndexedDB, type IndexedDBDump } from '../fixtures/previous-release/indexeddb-dump.ts';
import { FIXTURE_URL, MANIFEST, WORKSPACE, type Manifest } from '../fixtures/previous-release/manifest.ts';
import { seedPreviousServer } from '../fixtures/previous-release/seed-server.ts';
import { describeInChromium } from '../helpers/skip-or-fail.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';

interface PageWindow {
  brainStore: BrowserFixtureApi;
  store?: BrainStore;
  sync?: BrainSync;
}

const fixtures = join(import.meta.dirname, '../fixtures/previous-release');
const manifest = JSON.parse(readFileSync(join(fixtures, MANIFEST), 'utf8')) as Manifest;
const dump = JSON.parse(readFileSync(join(fixtures, 'dashboard-indexeddb.json'), 'utf8')) as IndexedDBDump;
const STEP_TIMEOUT = 90_000;

describeInChromium('the previous release’s dashboard IndexedDB in Chromium (issue 20)', () => {
  let pages: StaticServer;
  let browser: LaunchedChromium;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'pglite', now: () => manifest.clockEnd + 1_000 });
    await seedPreviousServer(server.sql, manifest);
    pages = await serveBrowserFixture();
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await browser?.removeProfile();
    await pages?.close();
    await server?.close();
  });

  it(
    'opens migrated in the page and pushes the offline transitions; nothing rejected',
    async () => {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pages.url);
      await page.waitForFunction(() => 'brainStore' in window);
      // The restore function as compiled here, put on the page (esbuild may wrap names in __name).
      await page.addScriptTag({ content: `window.__name = (f) => f; window.restoreIndexedDB = ${restoreIndexedDB.toString()};` });
      await page.evaluate(async (data) => {
        await (window as unknown as { restoreIndexedDB: (dump: unknown) => Promise<void> }).restoreIndexedDB(data);
      }, dump);
      const { name, subject, actionedOffline, dismissedOffline } = manifest.dashboard;
      const token = await server.token([WORKSPACE], 3_600, { role: 'member', subject });
      const opened = await page.evaluate(
        async ({ name, subject, now, fixtureUrl, serverUrl, token, workspace }) => {
          const w = window as unknown as PageWindow;
          const store = await w.brainStore.createBrainStore({ name, role: 'member', subject, now: () => now });
          w.store = store;
          const actions = await store.database.brainActions.find().exec();
          const version = store.database.brainActions.schema.version;
          const actioned = await store.brainActions.getActionsByWorkspace({ workspace_id: workspace, status: 'actioned' }).exec();
          w.sync = w.brainStore.replicateBrainStore(store, {
            url: fixtureUrl,
            token,
            retryTime: 200,
            fetch: (input, init) => fetch(input.replace(fixtureUrl, serverUrl), init),
          });
          await w.sync.awaitInSync();
          const rejected = await new Promise<number>((resolve) => w.sync!.rejected$.subscribe((list) => resolve(list.length)));
          return { version, snoozedUntil: actions.map((a) => a.snoozed_until), actioned: actioned.map((a) => a.id), rejected };
        },
        {
          name,
          subject,
          now: manifest.clockEnd + 1_000,
          fixtureUrl: FIXTURE_URL,
          serverUrl: server.url,
          token,
          workspace: WORKSPACE,
        },
      );
      expect(opened.version).toBe(1);
      expect(opened.snoozedUntil).toEqual([0, 0, 0]);
      expect(opened.actioned).toEqual([actionedOffline]);
      expect(opened.rejected).toBe(0);
      const docs = await server.sql.query<{ id: string; doc: Record<string, unknown> }>(
        'SELECT id, doc FROM brain_store_documents WHERE id = ANY($1)',
        [[actionedOffline, dismissedOffline]],
      );
      const byId = Object.fromEntries(docs.map((row) => [row.id, row.doc]));
      expect(byId[actionedOffline]).toMatchObject({ status: 'actioned', actioned_by: subject, snoozed_until: 0 });
      expect(byId[dismissedOffline]).toMatchObject({ status: 'dismissed', snoozed_until: 0 });
      await page.evaluate(async () => {
        const w = window as unknown as PageWindow;
        await w.store?.close();
      });
      expect(errors).toEqual([]);
    },
    STEP_TIMEOUT,
  );
});
