/**
 * The browser-store bench page (bench/browser-store/page-entry.ts, bundled by vite) open in a
 * fresh Chromium profile, and the initial pull measured in it: shared by the browser-store
 * group and the first-visit group (the first sync alone into IndexedDB).
 */
import type { Page } from 'playwright-core';
import { bundleForBrowser, htmlPage, launchChromium, serveStatic } from '../../harness/chromium.ts';
import type { BrowserStoreBenchApi } from '../browser-store/page-entry.ts';

type PageWindow = { browserStoreBench: BrowserStoreBenchApi };

export interface BrowserStorePage {
  readonly page: Page;
  /** Errors the page threw (reported in the group's log). */
  readonly errors: readonly string[];
  close(): Promise<void>;
}

export async function openBrowserStorePage(): Promise<BrowserStorePage> {
  const bundle = await bundleForBrowser({ entry: 'bench/browser-store/page-entry.ts', globalName: 'BrowserStoreBench' });
  const server = await serveStatic(bundle.dir, { '/index.html': htmlPage(`/${bundle.fileName}`, 'browser-store bench') });
  const browser = await launchChromium();
  const close = async () => {
    await browser.close();
    await browser.removeProfile();
    await server.close();
    await bundle.remove();
  };
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.setDefaultTimeout(600_000);
    await page.goto(server.url);
    await page.waitForFunction(() => 'browserStoreBench' in window);
    return { page, errors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export type InitialPullInPage = Awaited<ReturnType<BrowserStoreBenchApi['initialPull']>>;

/** One initial pull into an empty store of the page (through the first sync), then the raw baseline in the same page. */
export async function initialPullInPage(page: Page, args: { url: string; token: string; batch: number }): Promise<InitialPullInPage> {
  return page.evaluate(({ url, token, batch }) => (window as unknown as PageWindow).browserStoreBench.initialPull(url, token, batch), args);
}

/** Where the pull's time went, against the raw baseline's parts. */
export function initialPullBreakdown(result: InitialPullInPage): string {
  const rest = result.pullMs - result.httpMs - result.clientWriteMs;
  return `pull ${Math.round(result.pullMs)} ms (${result.requests} first-sync and pull requests; in fetch incl. body read ${Math.round(result.httpMs)} ms, in the collection's storage bulkWrite ${Math.round(result.clientWriteMs)} ms, ${rest >= 0 ? `rest ${Math.round(rest)} ms = RxDB replication incl. its meta-instance writes to IndexedDB` : `the two overlapping by ${Math.round(-rest)} ms (the first sync fetches its next page while it stores one)`}); raw: fetch + JSON.parse of the same ${result.requests} requests ${Math.round(result.rawFetchMs)} ms + Dexie bulkPut of ${result.rawDocs} docs into a plain table with the schema's indexes ${Math.round(result.rawPutMs)} ms`;
}
