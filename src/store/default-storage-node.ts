import type { RxStorage } from 'rxdb';
import { BrainStoreError } from '../errors/brain-store-error.ts';
import { globalIndexedDbStorage } from './default-storage-browser.ts';

/** What the client needs of @brain-store/node (src/node/index.ts). */
interface NodeStorageModule {
  defaultSqliteStorage(options: { readonly name: string; readonly path?: string | undefined }): RxStorage<unknown, unknown>;
}

/**
 * `#node-storage` is `@brain-store/node` in the published client (an optional peer: the
 * native better-sqlite3 comes with it) and src/node in this repository (package.json
 * "imports"). A constant, not a literal in import(): tsc would otherwise compile the storage
 * into the client package.
 */
const NODE_STORAGE: string = '#node-storage';
const NODE_PACKAGE = '@brain-store/node';

/**
 * The storage when none is given, in Node (package.json "imports", `#default-storage`, picks
 * this file under the `node` condition): Dexie where a global IndexedDB exists, otherwise the
 * durable SQLite of @brain-store/node at `path` (default `.data/<name>.sqlite`).
 */
export async function defaultStorage(options: {
  readonly name: string;
  readonly path?: string | undefined;
}): Promise<RxStorage<unknown, unknown>> {
  const indexedDb = globalIndexedDbStorage();
  if (indexedDb) return indexedDb;
  return (await loadNodeStorage()).defaultSqliteStorage(options);
}

async function loadNodeStorage(): Promise<NodeStorageModule> {
  try {
    return (await import(NODE_STORAGE)) as NodeStorageModule;
  } catch (error) {
    if (!isMissing(error)) throw error;
    throw new BrainStoreError('CONFIG', {
      parameters: { option: 'storage', install: NODE_PACKAGE },
      cause: error,
      message: `Node's default storage is the durable SQLite of ${NODE_PACKAGE}, which is not installed: run \`npm install ${NODE_PACKAGE}\`, or pass the \`storage\` option (any RxDB storage).`,
    });
  }
}

/** The optional peer itself is missing (not one of its own dependencies). */
function isMissing(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${NODE_PACKAGE}'`);
}
