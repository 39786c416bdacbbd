import { createHash } from 'node:crypto';
import { chmod, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { startServerProcess, urlOf } from '../../../harness/server-process.ts';
import { action, client } from '../../server/fixtures.ts';
import { makeCheckoutReachableByNobody } from '../../helpers/reachable-by-nobody.ts';

/**
 * Issue 11 §2: the PGlite data directory read-only. The server refuses to start with a
 * STORAGE_FILE error naming the directory and what to do, and changes nothing on disk; made
 * writable again, it serves every document it had. Run as root, file modes do not bind
 * root, so the server process runs as `nobody` (uid 65534) then.
 */
const NOBODY = 65_534;
const asUser = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
const secret = 'a-test-secret-long-enough';

async function checksums(dir: string): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    sums[path] = createHash('md5')
      .update(await readFile(path))
      .digest('hex');
  }
  return sums;
}

async function setWritable(dir: string, writable: boolean): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    await chmod(join(entry.parentPath, entry.name), entry.isDirectory() ? (writable ? 0o755 : 0o555) : writable ? 0o644 : 0o444);
  }
  await chmod(dir, writable ? 0o755 : 0o555);
}

it('a read-only PGlite data directory: a clear STORAGE_FILE error, nothing changed, data intact after', async () => {
  const root = await mkdtemp(join(tmpdir(), 'brain-store-readonly-'));
  if ('uid' in asUser) await chown(root, NOBODY, NOBODY);
  makeCheckoutReachableByNobody();
  const dataDir = join(root, 'pglite');
  const env = { AUTH_SECRET: secret, DATA_DIR: dataDir, HOME: tmpdir() };
  try {
    const first = await startServerProcess(env, asUser);
    const token = await createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 600, role: 'bot' });
    const docs = Array.from({ length: 5 }, () => action('w1', { created_at: Date.now() }));
    const pushed = await client(urlOf(first), token).push(
      'brainActions',
      docs.map((doc) => ({ newDocumentState: doc })),
    );
    expect(pushed.body).toEqual({ conflicts: [], rejected: [] });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    await setWritable(dataDir, false);
    const before = await checksums(dataDir);
    const refused = await startServerProcess(env, asUser);
    expect(refused.started).toEqual({
      error: { code: 'STORAGE_FILE', message: expect.stringContaining(`cannot use the PGlite data directory ${dataDir}`) },
    });
    expect(await refused.exited).toBe(1);
    expect(await checksums(dataDir)).toEqual(before);

    // A new data directory under a read-only folder: the same kind of error, naming the folder.
    const nested = await startServerProcess({ ...env, DATA_DIR: join(dataDir, 'nested', 'pglite') }, asUser);
    expect(nested.started).toMatchObject({ error: { code: 'STORAGE_FILE' } });
    expect(await checksums(dataDir)).toEqual(before);

    await setWritable(dataDir, true);
    const again = await startServerProcess(env, asUser);
    const pulled = await client(urlOf(again), token).pullAll('brainActions');
    expect(pulled.documents.map((doc) => doc.id).sort()).toEqual(docs.map((doc) => doc.id).sort());
    await again.kill();
  } finally {
    await setWritable(root, true).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}, 180_000);
