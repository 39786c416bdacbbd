import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, urlOf, type ServerProcess } from '../../../harness/server-process.ts';
import { checkpointDatabase, type SyncCheckpoint, type WireError } from '../../../src/protocol/messages.ts';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { createScratchPostgresDatabase, syncBackends } from '../../helpers/sync-server.ts';
import { action, client } from '../fixtures.ts';

/**
 * Issue 23 §4: checkpoints bounded in size and signed by the server, against a server in its
 * own process on each backend, restarted on the same database. A forged checkpoint with
 * 35,180 running-transaction ids used to pass and cost 84 ms of the database per pull.
 */
const secret = randomBytes(24).toString('hex');
const ws = 'signed';
const token = () => createAccessToken({ secret, workspaces: [ws], ttlSeconds: 600, role: 'bot', subject: 'checkpoint-bot' });

/** A snapshot listing `count` running transactions, valid as PostgreSQL reads it. */
function snapshotWith(count: number): string {
  return `1:${count + 10}:${Array.from({ length: count }, (_, i) => i + 2).join(',')}`;
}

describe.each(await syncBackends())('checkpoints on %s', (backend) => {
  let env: Record<string, string>;
  let server: ServerProcess;
  let url: string;
  let cleanup: () => Promise<void>;
  const ids: string[] = [];

  beforeAll(async () => {
    if (backend === 'postgres') {
      const scratch = await createScratchPostgresDatabase();
      env = { AUTH_SECRET: secret, DATABASE_URL: scratch.url };
      cleanup = scratch.drop;
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'brain-store-checkpoints-'));
      env = { AUTH_SECRET: secret, DATA_DIR: dir };
      cleanup = () => rm(dir, { recursive: true, force: true });
    }
    server = await startServerProcess(env);
    url = urlOf(server);
    const docs = [1, 2, 3].map(() => action(ws, { created_at: Date.now() }));
    ids.push(...docs.map((doc) => doc.id));
    for (const doc of docs) {
      const { status, body } = await client(url, await token()).push('brainActions', [{ newDocumentState: doc }]);
      expect([status, body.rejected]).toEqual([200, []]);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.kill();
    await cleanup?.();
  });

  async function firstPage(): Promise<SyncCheckpoint> {
    const { status, body } = await client(url, await token()).pull('brainActions', null, 1);
    expect(status).toBe(200);
    expect(body.documents.map((doc) => doc.id)).toEqual([ids[0]]);
    return body.checkpoint!;
  }

  async function refusal(checkpoint: SyncCheckpoint) {
    const { status, body } = await client(url, await token()).call<WireError>('/sync/brainActions/pull', { checkpoint, batchSize: 10 });
    return { status, error: body.error };
  }

  it('issues checkpoints signed by the server: `<database>.<signature>`', async () => {
    const checkpoint = await firstPage();
    expect(checkpoint.server).toMatch(/^[0-9a-f]{32}\.\d+\.[A-Za-z0-9_-]{22}$/);
  });

  it('refuses a forged checkpoint with 35,180 running transactions: 400 naming the checkpoint and why', async () => {
    const genuine = await firstPage();
    for (const server of [checkpointDatabase(genuine.server), genuine.server]) {
      const forged = { server, snap: snapshotWith(35_180), upto: null, tx: '0', seq: '0' };
      const { status, error } = await refusal(forged);
      expect(status).toBe(400);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/more running transactions than this database can have \(\d+\)/);
      expect(error.issues).toEqual([expect.objectContaining({ path: ['checkpoint', 'snap'], code: 'checkpoint_size' })]);
    }
  });

  it('refuses a signed checkpoint whose position was changed, or whose signature was made up', async () => {
    const genuine = await firstPage();
    const [xmin, xmax] = genuine.snap.split(':');
    const tampered = [
      { ...genuine, snap: `${xmin}:${Number(xmax) + 1000}:` },
      { ...genuine, tx: '1' },
      { ...genuine, server: `${checkpointDatabase(genuine.server)}.${'A'.repeat(22)}` },
    ];
    for (const checkpoint of tampered) {
      const { status, error } = await refusal(checkpoint);
      expect(status).toBe(400);
      expect(error.message).toContain('not issued by this server');
      expect(error.issues).toEqual([expect.objectContaining({ path: ['checkpoint', 'server'], code: 'checkpoint_signature' })]);
    }
  });

  it('accepts a checkpoint of a release before signing (unsigned, within the bound) and answers a signed one', async () => {
    const genuine = await firstPage();
    const legacy = { ...genuine, server: checkpointDatabase(genuine.server) };
    const { status, body } = await client(url, await token()).pull('brainActions', legacy, 10);
    expect(status).toBe(200);
    expect(body.documents.map((doc) => doc.id)).toEqual(ids.slice(1));
    expect(body.checkpoint!.server).not.toBe(legacy.server);
    expect(checkpointDatabase(body.checkpoint!.server)).toBe(legacy.server);
  });

  it('accepts its genuine checkpoint after a restart on the same database, continuing where it was', async () => {
    const genuine = await firstPage();
    await server.kill();
    server = await startServerProcess(env);
    url = urlOf(server);
    const { status, body } = await client(url, await token()).pull('brainActions', genuine, 10);
    expect(status).toBe(200);
    expect(body.documents.map((doc) => doc.id)).toEqual(ids.slice(1));
  }, 90_000);
});
