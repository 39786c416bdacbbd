import { combineLatest, type Observable } from 'rxjs';
import type { PushRow } from '../../protocol/messages.ts';
import { OUTBOX_SYNC_TAG, writeOutbox, type OutboxEntry } from './outbox.ts';

/** A keepalive request's body may not exceed 64 KiB (all of a page's in flight together). */
const KEEPALIVE_LIMIT_BYTES = 60 * 1024;

export interface LastChanceOptions {
  /** The store's name (its outbox entries). */
  readonly store: string;
  readonly leading$: Observable<boolean>;
  readonly pending$: Observable<number>;
  /** Per collection: the push endpoint's full URL and the rows sent without an answer. */
  readonly collections: readonly { readonly url: string; readonly unsentRows: () => PushRow[] }[];
  /** The request headers (token included), asked while the page still runs. */
  readonly headers: () => Promise<Record<string, string>>;
}

interface Page {
  readonly document: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>;
  readonly window: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  readonly indexedDB: IDBFactory;
  readonly fetch: typeof globalThis.fetch;
  readonly serviceWorker: ServiceWorkerContainer | undefined;
}

function browserPage(): Page | undefined {
  const scope = globalThis as { document?: Document; window?: Window; indexedDB?: IDBFactory; navigator?: Navigator };
  if (!scope.document || !scope.window || !scope.indexedDB) return undefined;
  return {
    document: scope.document,
    window: scope.window,
    indexedDB: scope.indexedDB,
    fetch: (input, init) => globalThis.fetch(input, init),
    serviceWorker: scope.navigator?.serviceWorker,
  };
}

/**
 * Leaving with unsynced writes (issue 18.3). When the replicating tab is hidden or leaves
 * while writes are pending, it tries once more with `keepalive` requests (they outlive the
 * page), and leaves the same rows in the outbox with a Background Sync registration, so the
 * service worker pushes them when the connection returns with no tab open. Either way the
 * next page load pushes what the server still lacks, and the server stores each write once.
 * Returns a stop function; does nothing outside a browser page.
 */
export function pushOnLeave(options: LastChanceOptions, page: Page | undefined = browserPage()): () => void {
  if (!page) return () => undefined;
  let leading = false;
  let pending = 0;
  // Asked ahead, while the page runs: a leaving page cannot wait for a token.
  let headers: Record<string, string> | undefined;
  const subscription = combineLatest([options.leading$, options.pending$]).subscribe(([lead, count]) => {
    leading = lead;
    pending = count;
    if (lead && count > 0) {
      options.headers().then(
        (fresh) => (headers = fresh),
        () => undefined,
      );
    }
    // Everything acknowledged: nothing left for the worker to send.
    if (lead && count === 0) writeOutbox(page.indexedDB, options.store, []).catch(() => undefined);
  });

  const leave = () => {
    if (!leading || pending === 0 || !headers) return;
    const sendHeaders = { ...headers, 'content-type': 'application/json' };
    const entries: OutboxEntry[] = [];
    let budget = KEEPALIVE_LIMIT_BYTES;
    for (const collection of options.collections) {
      const rows = collection.unsentRows();
      if (rows.length === 0) continue;
      const body = JSON.stringify({ rows });
      entries.push({ key: `${options.store}|${collection.url}`, store: options.store, url: collection.url, headers: sendHeaders, rows });
      if (body.length > budget) continue;
      budget -= body.length;
      page.fetch(collection.url, { method: 'POST', headers: sendHeaders, body, keepalive: true }).catch(() => undefined);
    }
    if (entries.length === 0) return;
    void writeOutbox(page.indexedDB, options.store, entries)
      .then(() => registerBackgroundSync(page.serviceWorker))
      .catch(() => undefined);
  };
  const onVisibility = () => page.document.visibilityState === 'hidden' && leave();
  page.document.addEventListener('visibilitychange', onVisibility);
  page.window.addEventListener('pagehide', leave);
  return () => {
    subscription.unsubscribe();
    page.document.removeEventListener('visibilitychange', onVisibility);
    page.window.removeEventListener('pagehide', leave);
  };
}

/** Chromium's Background Sync: the worker's `sync` event fires when the connection is back. */
async function registerBackgroundSync(container: ServiceWorkerContainer | undefined): Promise<void> {
  if (!container) return;
  const registration = (await container.getRegistration()) as
    (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }) | undefined;
  await registration?.sync?.register(OUTBOX_SYNC_TAG);
}
