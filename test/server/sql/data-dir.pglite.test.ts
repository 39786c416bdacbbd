import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { startSyncServer } from '../../../src/server/start-sync-server.ts';
import { action, client } from '../fixtures.ts';

describe('PGlite on disk', () => {
  it('keeps documents under dataDir across restarts, creating missing parent folders', async () => {
    const root = await mkdtemp(join(tmpdir(), 'brain-store-server-'));
    // Like the CLI default `.data/pglite` on a fresh clone: neither folder exists yet.
    const dataDir = join(root, '.data', 'pglite');
    const authSecret = 'a-test-secret-long-enough';
    const token = await createAccessToken({ secret: authSecret, workspaces: ['w1'], ttlSeconds: 600, role: 'bot' });
    // Dated now: the server refuses a new document far older than its clock (CLOCK_SKEW).
    const doc = action('w1', { created_at: Date.now() - 1_000 });
    try {
      const first = await startSyncServer({ authSecret, dataDir, expiryIntervalMs: 0 });
      await client(first.url, token).push('brainActions', [{ newDocumentState: doc }]);
      await first.close();
      const second = await startSyncServer({ authSecret, dataDir, expiryIntervalMs: 0 });
      expect((await client(second.url, token).pullAll('brainActions')).documents).toEqual([doc]);
      await second.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses a short auth secret before opening anything', async () => {
    await expect(startSyncServer({ authSecret: 'short' })).rejects.toMatchObject({ code: 'CONFIG' });
  });
});
