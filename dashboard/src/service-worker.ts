/// <reference lib="webworker" />
/**
 * The dashboard's service worker (built by vite-plugin-pwa's injectManifest into sw.js):
 * - the app shell is precached, so a reload without network still shows the page and its
 *   IndexedDB data; navigations fall back to index.html, never for the live API;
 * - a new build waits: the page offers "A new version is available — Reload" and the new
 *   worker activates only when the person clicks it (register-service-worker.ts), so no tab
 *   runs old code against new caches and no unsynced write is lost to a surprise reload;
 * - Background Sync (Chromium): when the last tab left with writes unsynced, the pushes it
 *   left in the outbox are sent when the connection returns, with no tab open (issue 18.3).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { clientsClaim } from 'workbox-core';
// The outbox module alone (no store, no RxDB): the worker stays a few kilobytes.
import { OUTBOX_SYNC_TAG, pushOutbox } from '../../src/replication/leadership/outbox.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// The sync API is live data: never answered from the cache.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/sync\//, /^\/healthz/, /^\/livez/, /^\/readyz/, /^\/metrics/],
  }),
);
// The first install takes the open page at once (offline reload works from the first visit);
// an update waits for the person (SKIP_WAITING below).
clientsClaim();

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
}

self.addEventListener('sync', (event) => {
  const sync = event as SyncEvent;
  if (sync.tag !== OUTBOX_SYNC_TAG) return;
  // A rejection (still no network) makes the browser try again later.
  sync.waitUntil(pushOutbox(self.indexedDB, (input, init) => self.fetch(input, init)));
});
