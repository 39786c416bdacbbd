/**
 * The page side of the browser tests: bundled by vite into one script and loaded in
 * Chromium, it puts the public API on `window.brainStore`. No storage option is passed in
 * the tests, so the store runs on its default — Dexie over the page's real IndexedDB.
 */
import { BrainStoreError, createBrainStore, isBrainStoreError, replicateBrainStore } from '../src/index.ts';

const api = { createBrainStore, replicateBrainStore, BrainStoreError, isBrainStoreError };
export type BrowserFixtureApi = typeof api;

(globalThis as unknown as { brainStore: BrowserFixtureApi }).brainStore = api;
