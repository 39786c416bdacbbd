import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBrainStore, type BrainStore, type CreateBrainStoreOptions } from '../../src/index.ts';

/** A fresh SQLite file in its own temp folder; `dispose()` deletes the folder. */
export function sqliteFile(label: string): { path: string; dispose: () => void } {
  const folder = mkdtempSync(join(tmpdir(), `bench-sqlite-${label}-`));
  return { path: join(folder, 'store.sqlite'), dispose: () => rmSync(folder, { recursive: true, force: true }) };
}

/** A store on the SQLite file at `path` (the Node default storage, given a path). */
export function openSqliteStore(
  path: string,
  options: Omit<CreateBrainStoreOptions, 'storage' | 'path' | 'name'> = {},
): Promise<BrainStore> {
  return createBrainStore({ name: 'bench', path, multiInstance: false, ...options });
}
