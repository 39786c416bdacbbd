import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { build, type Rollup } from 'vite';

const ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/**
 * The Node default (SQLite) is loaded through a computed dynamic import only in Node: a
 * browser bundle of the package must not contain better-sqlite3, node:fs or the storage.
 */
describe('browser bundle of brain-store', () => {
  it('leaves the SQLite storage and better-sqlite3 out', { timeout: 120_000 }, async () => {
    const output = (await build({
      configFile: false,
      logLevel: 'silent',
      build: { write: false, minify: false, lib: { entry: ENTRY, formats: ['es'], fileName: 'brain-store' } },
    })) as Rollup.RollupOutput[];
    const code = output
      .flatMap((result) => result.output)
      .map((chunk) => (chunk.type === 'chunk' ? chunk.code : ''))
      .join('\n');
    expect(code).toContain('createBrainStore');
    expect(code).not.toMatch(/better-sqlite3|better_sqlite3/);
    expect(code).not.toMatch(/from ["']node:fs["']/);
    expect(code).not.toContain('locking_mode');
  });
});
