/**
 * The storage createBrainStore uses when none is given. package.json "imports" chooses the
 * file by export condition: under `node`, ./default-storage-node.ts (durable SQLite from
 * @brain-store/node); everywhere else ./default-storage-browser.ts (Dexie over IndexedDB).
 * A browser bundle therefore never sees the Node storage, better-sqlite3 or node:fs.
 */
export { defaultStorage } from '#default-storage';
