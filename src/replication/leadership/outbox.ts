import type { PushRow } from '../../protocol/messages.ts';

/**
 * Pushes left behind by a page that went away with writes unsynced, for the service worker
 * to send when the connection returns with no tab open (Background Sync, issue 18.3). One
 * entry per store and collection, replaced at every leave: the rows the replicating tab had
 * sent without an answer, the push URL and the request headers (token included) it used.
 * Sending a row twice is harmless: the server stores an identical write once (`unchanged`),
 * and a row overtaken by a newer version conflicts and writes nothing.
 */
export interface OutboxEntry {
  /** `<store>|<collection>` */
  readonly key: string;
  readonly store: string;
  /** The push endpoint's full URL. */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly rows: readonly PushRow[];
}

/** The IndexedDB database and object store, and the Background Sync tag, the page and the worker share. */
const OUTBOX_DATABASE = 'brain-store-outbox';
const OUTBOX_STORE = 'pushes';
export const OUTBOX_SYNC_TAG = 'brain-store-push';

function openOutbox(indexedDB: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(OUTBOX_DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(OUTBOX_STORE, { keyPath: 'key' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('outbox: open failed'));
  });
}

async function inOutbox<T>(
  indexedDB: IDBFactory,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T> | void,
): Promise<T | undefined> {
  const db = await openOutbox(indexedDB);
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const tx = db.transaction(OUTBOX_STORE, mode);
      const request = work(tx.objectStore(OUTBOX_STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error ?? new Error('outbox: transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('outbox: transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** Replaces the store's entries with these (none: clears them). */
export async function writeOutbox(indexedDB: IDBFactory, store: string, entries: readonly OutboxEntry[]): Promise<void> {
  await inOutbox(indexedDB, 'readwrite', (objects) => {
    objects.delete(IDBKeyRange.bound(`${store}|`, `${store}|\uffff`));
    for (const entry of entries) objects.put(entry);
  });
}

async function readOutbox(indexedDB: IDBFactory): Promise<OutboxEntry[]> {
  return (await inOutbox<OutboxEntry[]>(indexedDB, 'readonly', (objects) => objects.getAll() as IDBRequest<OutboxEntry[]>)) ?? [];
}

/**
 * Sends every entry (the service worker, on its sync event). An entry the server answered —
 * accepted, conflicting, refused or unauthorized — is removed: the next page load's
 * replication settles it. A network failure throws, so the browser retries the sync later.
 */
export async function pushOutbox(indexedDB: IDBFactory, fetch: typeof globalThis.fetch): Promise<{ sent: number }> {
  let sent = 0;
  for (const entry of await readOutbox(indexedDB)) {
    const response = await fetch(entry.url, { method: 'POST', headers: entry.headers, body: JSON.stringify({ rows: entry.rows }) });
    if (response.status >= 500) throw new Error(`outbox: the server answered ${response.status}`);
    await inOutbox(indexedDB, 'readwrite', (objects) => objects.delete(entry.key));
    if (response.ok) sent += entry.rows.length;
  }
  return { sent };
}
