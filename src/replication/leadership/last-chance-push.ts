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

export interface LastChancePage {
  readonly document: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>;
  readonly window: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  readonly indexedDB: IDBFactory;
  readonly fetch: typeof globalThis.fetch;
  readonly serviceWorker: ServiceWorkerContainer | undefined;
}

function browserPage(): LastChancePage | undefined {
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
 * Does nothing outside a browser page.
 */
export interface LastChance {
  /** A push went unanswered (offline): keep the outbox current and ask for a Background Sync. */
  unanswered(): void;
  stop(): void;
}

export function pushOnLeave(options: LastChanceOptions, page: LastChancePage | undefined = browserPage()): LastChance {
  if (!page) return { unanswered: () => undefined, stop: () => undefined };
  let leading = false;
  let pending = 0;
  // Asked ahead, while the page runs: a leaving page cannot wait for a token.
  let headers: Record<string, string> | undefined;
  const freshHeaders = () => options.headers().then((fresh) => (headers = { ...fresh, 'content-type': 'application/json' }));
  const subscription = combineLatest([options.leading$, options.pending$]).subscribe(([lead, count]) => {
    leading = lead;
    pending = count;
    if (lead && count > 0) freshHeaders().catch(() => undefined);
    // Everything acknowledged: nothing left for the worker to send.
    if (lead && count === 0) writeOutbox(page.indexedDB, options.store, []).catch(() => undefined);
  });

  /** The rows still unanswered, per collection, as outbox entries. */
  const unsentEntries = (sendHeaders: Record<string, string>): OutboxEntry[] =>
    options.collections.flatMap((collection) => {
      const rows = collection.unsentRows();
      return rows.length === 0
        ? []
        : [{ key: `${options.store}|${collection.url}`, store: options.store, url: collection.url, headers: sendHeaders, rows }];
    });

  // Kept current while the page runs: a leaving page may not finish an IndexedDB write. The
  // first unanswered push may come before the headers do (and offline, RxDB retries no more
  // until the browser says it is online): then it waits for them.
  const keepOutbox = () => {
    if (!leading || pending === 0) return;
    void (headers ? Promise.resolve(headers) : freshHeaders())
      .then(async (sendHeaders) => {
        const entries = unsentEntries(sendHeaders);
        if (entries.length === 0) return;
        await writeOutbox(page.indexedDB, options.store, entries);
        await registerBackgroundSync(page.serviceWorker);
      })
      .catch(() => undefined);
  };

  const leave = () => {
    if (!leading || pending === 0 || !headers) return;
    let budget = KEEPALIVE_LIMIT_BYTES;
    for (const entry of unsentEntries(headers)) {
      const body = JSON.stringify({ rows: entry.rows });
      if (body.length > budget) continue;
      budget -= body.length;
      page.fetch(entry.url, { method: 'POST', headers: entry.headers, body, keepalive: true }).catch(() => undefined);
    }
    keepOutbox();
  };
  const onVisibility = () => page.document.visibilityState === 'hidden' && leave();
  // Capture: at the target these run before the election's own pagehide listener, which lets
  // go of the leadership (and the app's, which may close the store).
  page.document.addEventListener('visibilitychange', onVisibility, { capture: true });
  page.window.addEventListener('pagehide', leave, { capture: true });
  return {
    unanswered: keepOutbox,
    stop: () => {
      subscription.unsubscribe();
      page.document.removeEventListener('visibilitychange', onVisibility, { capture: true });
      page.window.removeEventListener('pagehide', leave, { capture: true });
    },
  };
}

/** Chromium's Background Sync: the worker's `sync` event fires when the connection is back. */
async function registerBackgroundSync(container: ServiceWorkerContainer | undefined): Promise<void> {
  if (!container) return;
  const registration = (await container.getRegistration()) as
    (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }) | undefined;
  await registration?.sync?.register(OUTBOX_SYNC_TAG);
}
