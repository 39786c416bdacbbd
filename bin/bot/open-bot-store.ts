/**
 * The bot's own store. Durable by default (SQLite in one file under .data/), so a bot killed
 * at any moment keeps every write it was told succeeded and pushes it when it runs again.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, type BrainStore } from '../../src/index.ts';
import { getRxStorageSQLite } from '../../src/node/index.ts';

export interface OpenBotStoreOptions {
  /** The SQLite file; undefined keeps the store in memory (lost on exit). */
  readonly path: string | undefined;
}

export async function openBotStore({ path }: OpenBotStoreOptions): Promise<BrainStore> {
  if (path === undefined) return createBrainStore({ name: 'brain-store-bot', storage: getRxStorageMemory() });
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  return createBrainStore({ name: 'brain-store-bot', storage: getRxStorageSQLite({ path: file }) });
}
