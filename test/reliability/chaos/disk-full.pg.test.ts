import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from '../../../src/protocol/endpoints.ts';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { privatePostgresState, startPrivatePostgres, type PrivatePostgres } from '../../helpers/private-postgres.ts';
import { startServerProcess, urlOf, type ServerProcess } from '../../../harness/server-process.ts';
import { mountSmallDisk, refusedOrThrow } from '../../helpers/small-disk.ts';
import { action, client } from '../../server/fixtures.ts';

/**
 * Issue 11 §2, disk full under PostgreSQL: a private cluster (`private-postgres.ts`) whose
 * data directory is on a small tmpfs of the test's own, a server process on it, pushes until
 * the disk is full. PostgreSQL answers the first failing extension with `disk_full`
 * (53100: the client gets 507 and a clear message); when it cannot create a WAL segment it
 * PANICs, its crash recovery fails for the same reason and it shuts down (the client gets
 * 500). Asserted: the server process lives through it; no answer carries a stack or a path;
 * once space is freed and PostgreSQL is started again (what systemd would do), the server,
 * not restarted, stores the next push; the database holds exactly the acknowledged rows
 * (none of a refused batch); /healthz is ok again.
 */
const secret = randomBytes(24).toString('hex');
const pg = privatePostgresState();
const disk = pg.available ? await mountSmallDisk('128m') : undefined;
const refused = disk ? refusedOrThrow(disk, 'the PostgreSQL disk-full test') : pg.reason;

describe.skipIf(refused !== undefined)(`PostgreSQL data directory on a full disk${refused ? ` (SKIPPED: ${refused})` : ''}`, () => {
  let cluster: PrivatePostgres;
  let server: ServerProcess;
  beforeAll(async () => {
    cluster = await startPrivatePostgres({ dataIn: disk!.path });
    server = await startServerProcess({ AUTH_SECRET: secret, DATABASE_URL: await cluster.createDatabase('brain_store_disk') });
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
    await cluster?.destroy();
    await disk?.unmount();
  });

  it('refuses pushes while full (507 for disk_full), the server lives, and once space is freed it stores again with nothing half-written', async () => {
    const token = await createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 3_600, role: 'bot' });
    const api = client(urlOf(server), token);
    const batch = () => Array.from({ length: 500 }, () => ({ newDocumentState: action('w1', { created_at: Date.now() }) }));
    const idsOf = (rows: ReturnType<typeof batch>) => rows.map((row) => String(row.newDocumentState['id']));
    await disk!.fillLeaving(12 * 2 ** 20);

    const acknowledged: string[] = [];
    const refusedRows: string[] = [];
    const statuses: number[] = [];
    for (let push = 0; push < 200 && statuses.length < 3; push++) {
      const rows = batch();
      const answer = await api.call<unknown>(endpoints.push('brainActions'), { rows }, { signal: AbortSignal.timeout(30_000) });
      if (answer.status === 200) acknowledged.push(...idsOf(rows));
      else {
        statuses.push(answer.status);
        refusedRows.push(...idsOf(rows));
        expect(answer.body).toMatchObject({ error: { code: 'STORAGE' } });
        expect(JSON.stringify(answer.body)).not.toMatch(/\bat |No space|base\/|\/tmp\//);
        if (answer.status === 507) expect(JSON.stringify(answer.body)).toContain("The server's disk is full");
        else expect(answer.status).toBe(500);
      }
    }
    expect(statuses.length).toBe(3);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(server.child.exitCode).toBeNull();

    await disk!.free();
    // A PANIC for a WAL segment ends in crash recovery, which needs the same room: PostgreSQL
    // shuts down ("startup process exited with exit code 1"). The operator (systemd) starts
    // it again once space is freed; the server process is not restarted.
    // Its shutdown can still be under way when space is freed (crash recovery fails a moment
    // later), so whenever the postmaster is found gone it is started again; bounded.
    let shutDown = false;
    const last = batch();
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!cluster.alive()) {
        shutDown = true;
        await cluster.start();
      }
      const answer = await api.call<unknown>(endpoints.push('brainActions'), { rows: last }, { signal: AbortSignal.timeout(10_000) });
      if (answer.status === 200) break;
      if (Date.now() > deadline)
        throw new Error(
          `no push stored within 60 s of freeing the disk (last answer ${answer.status}); PostgreSQL log:\n${cluster.log().slice(-2_000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    acknowledged.push(...idsOf(last));
    const pulled = await api.pullAll('brainActions', 1_000);
    const stored = pulled.documents.map((doc) => doc.id).sort();
    expect(stored).toEqual([...acknowledged].sort());
    expect(stored.filter((id) => refusedRows.includes(id))).toEqual([]);
    expect(await (await fetch(`${urlOf(server)}/healthz`)).json()).toEqual({ ok: true });
    expect(server.child.exitCode).toBeNull();
    console.info(
      `[chaos] PostgreSQL disk full: ${acknowledged.length} rows acknowledged and stored, refusals answered ${statuses.join(', ')}, none of their ${refusedRows.length} rows stored; PostgreSQL ${shutDown ? 'had shut itself down and was started again' : 'stayed up'}`,
    );
  }, 120_000);
});
