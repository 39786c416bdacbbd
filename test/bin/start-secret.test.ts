import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET_FILE, startSecret } from '../../bin/start-secret.ts';

const folders: string[] = [];
const folder = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'start-secret-'));
  folders.push(dir);
  return join(dir, 'data');
};
afterAll(() => Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true }))));

describe('the secret of brain-store start (issue 17: a dashboard link survives a restart)', () => {
  it('is made once and kept in the data folder, readable by its owner only; a second start reuses it', async () => {
    const dataDir = await folder();
    const first = await startSecret({ env: undefined, dataDir });
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(await startSecret({ env: undefined, dataDir })).toBe(first);
    expect((await readFile(join(dataDir, SECRET_FILE), 'utf8')).trim()).toBe(first);
    expect((await stat(join(dataDir, SECRET_FILE))).mode & 0o777).toBe(0o600);
  });

  it('AUTH_SECRET wins over the kept one; --memory keeps nothing', async () => {
    const dataDir = await folder();
    const kept = await startSecret({ env: undefined, dataDir });
    expect(await startSecret({ env: 'from-the-environment-123', dataDir })).toBe('from-the-environment-123');
    expect(await startSecret({ env: '', dataDir })).toBe(kept);
    const a = await startSecret({ env: undefined, dataDir: undefined });
    expect(await startSecret({ env: undefined, dataDir: undefined })).not.toBe(a);
  });

  it('two starts racing on a new folder agree on one secret', async () => {
    const dataDir = await folder();
    const [a, b] = await Promise.all([startSecret({ env: undefined, dataDir }), startSecret({ env: undefined, dataDir })]);
    expect(a).toBe(b);
  });

  it('a damaged secret file is one clear failure naming it', async () => {
    const dataDir = await folder();
    await startSecret({ env: undefined, dataDir });
    await writeFile(join(dataDir, SECRET_FILE), 'short\n');
    await expect(startSecret({ env: undefined, dataDir })).rejects.toThrow(/auth-secret holds no usable secret/);
  });
});
