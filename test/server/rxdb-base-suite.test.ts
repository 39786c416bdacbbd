import { Subject } from 'rxjs';
import { describe, it } from 'vitest';
import { addRxPlugin, type RxCollection, type RxReplicationPullStreamItem } from 'rxdb';
import { RxDBDevModePlugin } from 'rxdb/plugins/dev-mode';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { runReplicationBaseTestSuite, setConfig } from 'rxdb/plugins/test-utils';
import type { SyncCheckpoint, WireDocument } from '../../src/protocol/messages.ts';
import { postgresState, startTestServer, type TestBackend, type TestServer } from '../helpers/sync-server.ts';
import { client, openStream } from './fixtures.ts';

/**
 * RxDB's own replication suite against this server, through a minimal poke-then-pull
 * replication written here (not the brain-store client plugin, which has its own run of
 * the suite): proves the server side of the protocol alone, on its extra `humans`
 * collection that has no workspace field.
 */
Object.assign(globalThis, { describe, it });
// The suite opens duplicate databases (ignoreDuplicate), which only dev-mode allows.
addRxPlugin(RxDBDevModePlugin);
setConfig({
  storage: {
    name: 'memory',
    getStorage: () => wrappedValidateAjvStorage({ storage: getRxStorageMemory() }),
    getPerformanceStorage: () => ({ storage: getRxStorageMemory(), description: 'memory' }),
    hasPersistence: false,
    hasMultiInstance: false,
    hasAttachments: false,
    hasReplication: true,
  },
});

const postgres = await postgresState();

function runAgainst(backend: TestBackend): void {
  let server: TestServer | undefined;
  let token = '';
  async function ready(): Promise<TestServer> {
    if (!server) {
      server = await startTestServer({ backend, collections: { humans: { primaryKey: 'passportId' } } });
      token = await server.token(['_']);
    }
    return server;
  }

  async function replicate(collection: RxCollection, live: boolean) {
    const { url } = await ready();
    const api = client(url, token);
    const pullStream$ = new Subject<RxReplicationPullStreamItem<WireDocument, SyncCheckpoint>>();
    const stream = live ? await openStream(url, 'humans', token) : undefined;
    // Poke-then-pull: every RESYNC or CHANGE makes RxDB pull from its checkpoint.
    const pump = setInterval(() => {
      if (stream && stream.events.length > 0) {
        stream.events.splice(0);
        pullStream$.next('RESYNC');
      }
    }, 5);
    const state = replicateRxCollection<WireDocument, SyncCheckpoint>({
      collection: collection,
      replicationIdentifier: `humans-${url}`,
      live,
      pull: {
        async handler(checkpoint, batchSize) {
          const { status, body } = await api.pull('humans', checkpoint ?? null, batchSize);
          if (status !== 200) throw new Error(`pull ${status}`);
          return { documents: body.documents, checkpoint: body.checkpoint ?? undefined };
        },
        stream$: pullStream$.asObservable(),
      },
      push: {
        async handler(rows) {
          const { status, body } = await api.push('humans', rows);
          if (status !== 200 || body.rejected.length > 0) throw new Error(`push ${status} ${JSON.stringify(body)}`);
          return body.conflicts;
        },
      },
    });
    const stop = state.canceled$.subscribe((canceled) => {
      if (!canceled) return;
      clearInterval(pump);
      void stream?.close();
      queueMicrotask(() => stop.unsubscribe());
    });
    return state;
  }

  describe(`RxDB replication base suite against the server (${backend})`, () => {
    runReplicationBaseTestSuite({
      startReplication: (collection) => replicate(collection, true),
      async syncOnce(collection) {
        const state = await replicate(collection, false);
        await state.awaitInitialReplication();
        await state.cancel();
      },
      async getAllServerDocs() {
        const rows = await (await ready()).sql.query<{ doc: Record<string, unknown>; deleted: boolean }>(
          `SELECT doc, deleted FROM brain_store_documents WHERE collection = 'humans'`,
        );
        return rows.map((row) => ({ ...row.doc, _deleted: row.deleted }));
      },
      async cleanUpServer() {
        await (await ready()).reset();
      },
      softDeletes: true,
      isDeleted: (doc: { _deleted: boolean }) => doc._deleted,
      getPrimaryOfServerDoc: (doc: { passportId: string }) => doc.passportId,
    });
  });
}

runAgainst('pglite');
if (postgres.available) runAgainst('postgres');
