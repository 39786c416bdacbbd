import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { build, type Rollup } from 'vite';

const ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/**
 * The Node default (SQLite) is chosen by the `node` condition of package.json "imports"
 * (#default-storage) and loaded from @brain-store/node: a browser bundle of the package must
 * not contain better-sqlite3, node:fs or the storage. Nor ajv (issue 16: the storage is
 * validated with the collections' zod declarations; ajv was ~40 % of the dashboard's JS).
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
    expect(code).not.toMatch(/ajv|fast-uri/i);
  });
});
