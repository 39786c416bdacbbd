import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSyncServer } from '../../../src/server/start-sync-server.ts';
import { describeNeeding } from '../../helpers/skip-or-fail.ts';
import { pgbouncerState, startPgBouncer, type PgBouncer } from '../../helpers/pgbouncer.ts';
import { createScratchPostgresDatabase, describeOnPostgres, startTestServer, type TestServer } from '../../helpers/sync-server.ts';
import { runSyncServerContract } from '../contract/run-sync-server-contract.ts';
import { action, client, openStream } from '../fixtures.ts';

/**
 * Issue 17.8, behind a connection pooler: a real PgBouncer in transaction mode in front of
 * PostgreSQL. Queries go through it; LISTEN has a direct session (directDatabaseUrl). The
 * whole sync contract runs that way, then two instances and a foreign open transaction.
 */
await describeOnPostgres('behind PgBouncer in transaction mode', () => {
  describeNeeding(pgbouncerState(), 'PgBouncer tests', 'sync server through PgBouncer', () => {
    runSyncServerContract('pgbouncer');

    describe('live delivery and readiness', () => {
      let a: TestServer;
      let b: TestServer;
      beforeAll(async () => {
        a = await startTestServer({ backend: 'pgbouncer' });
        b = await startTestServer({ backend: 'pgbouncer' });
      });
      afterAll(async () => {
        await a.close();
        await b.close();
      });

      it("two instances: B's stream delivers A's write live; both ready", async () => {
        expect(await (await fetch(`${a.url}/readyz`)).json()).toEqual({ ok: true });
        expect(await (await fetch(`${b.url}/readyz`)).json()).toEqual({ ok: true });
        const token = await a.token(['pooled-live']);
        const stream = await openStream(b.url, 'brainActions', token);
        await stream.next('RESYNC');
        const doc = action('pooled-live');
        expect((await client(a.url, token).push('brainActions', [{ newDocumentState: doc }])).status).toBe(200);
        const event = await stream.firstMatching((candidate) => candidate.type === 'CHANGE' || candidate.type === 'CHANGES');
        expect(event.type === 'CHANGE' || event.type === 'CHANGES').toBe(true);
        const pulled = await client(b.url, token).pullAll('brainActions');
        expect(pulled.documents.map((document) => document['id'])).toEqual([doc['id']]);
        await stream.close();
      });

      it('a foreign transaction left open on the cluster holds back no committed write', async () => {
        const foreign = new pg.Client({ connectionString: a.databaseUrl! });
        await foreign.connect();
        try {
          await foreign.query('BEGIN');
          await foreign.query('SELECT pg_current_xact_id()');
          const token = await a.token(['pooled-foreign']);
          const docs = [action('pooled-foreign'), action('pooled-foreign')];
          for (const doc of docs) expect((await client(a.url, token).push('brainActions', [{ newDocumentState: doc }])).status).toBe(200);
          const pulled = await client(b.url, token).pullAll('brainActions');
          expect(pulled.documents.map((document) => document['id'])).toEqual(docs.map((doc) => doc['id']));
        } finally {
          await foreign.query('ROLLBACK').catch(() => undefined);
          await foreign.end();
        }
      });
    });

    it('LISTEN through the pooler is caught at start: /readyz 503 names DATABASE_DIRECT_URL', async () => {
      const scratch = await createScratchPostgresDatabase();
      let bouncer: PgBouncer | undefined;
      try {
        bouncer = await startPgBouncer();
        const server = await startSyncServer({
          authSecret: 'pooler-test-secret-0123456789',
          logLevel: 'silent',
          expiryIntervalMs: 0,
          databaseUrl: bouncer.urlOf(new URL(scratch.url).pathname.slice(1)),
          // Pooled, but LISTEN sent through the pooler too: the misconfiguration the issue measured.
          directDatabaseUrl: bouncer.urlOf(new URL(scratch.url).pathname.slice(1)),
        });
        try {
          const ready = await fetch(`${server.url}/readyz`);
          expect(ready.status).toBe(503);
          expect(((await ready.json()) as { reason: string }).reason).toMatch(/DATABASE_DIRECT_URL/);
          expect((await fetch(`${server.url}/livez`)).status).toBe(200);
        } finally {
          await server.close();
        }
      } finally {
        await bouncer?.stop();
        await scratch.drop();
      }
    });
  });
});
