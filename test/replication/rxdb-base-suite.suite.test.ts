/**
 * RxDB's own replication conformance suite (`runReplicationBaseTestSuite`), run against
 * brain-store's sync server and replication plugin. The suite brings its own "humans"
 * collection (primary key passportId, no workspace), which the server hosts as an extra
 * collection in a fixed workspace. Runs in the `rxdb-suite` vitest project (mocha-style
 * globals), on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { runReplicationBaseTestSuite, setConfig } from 'rxdb/plugins/test-utils';
import { addRxPlugin, type RxCollection } from 'rxdb';
import { RxDBDevModePlugin, disableWarnings } from 'rxdb/plugins/dev-mode';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { describeOnPostgres, startTestServer, type TestBackend, type TestServer } from '../helpers/sync-server.ts';
import { replicateCollection } from '../../src/replication/replicate-collection.ts';
import { SyncHttpClient } from '../../src/replication/sync-http-client.ts';
import { RejectedWrites } from '../../src/replication/rejected-writes.ts';
import { FIXED_WORKSPACE } from '../../src/server/documents/hosted-collections.ts';

// The suite opens its databases with ignoreDuplicate, which RxDB allows only in dev-mode;
// dev-mode in turn wants a validating storage.
disableWarnings();
addRxPlugin(RxDBDevModePlugin);
const storage = () => wrappedValidateAjvStorage({ storage: getRxStorageMemory() });

setConfig({
  storage: {
    name: 'memory',
    getStorage: storage,
    getPerformanceStorage: () => ({ storage: storage(), description: 'memory' }),
    hasPersistence: false,
    hasMultiInstance: false,
    hasAttachments: false,
    hasReplication: true,
  },
});

function runAgainst(backend: TestBackend): void {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ backend, collections: { humans: { primaryKey: 'passportId' } } });
    token = await server.token([FIXED_WORKSPACE]);
  });
  afterAll(async () => server?.close());

  const start = (collection: RxCollection<any>, live: boolean) =>
    replicateCollection({
      name: 'humans',
      collection,
      client: new SyncHttpClient({ url: server.url, getToken: () => token }),
      live,
      batchSize: 50,
      retryTime: 50,
      retryBackoff: () => 50,
      backoff: () => 50,
      now: Date.now,
      rejected: new RejectedWrites(),
    });

  runReplicationBaseTestSuite({
    startReplication: (collection) => start(collection, true),
    syncOnce: async (collection) => {
      const replication = start(collection, false);
      await replication.awaitInitialReplication();
      await replication.cancel();
    },
    getAllServerDocs: async () => {
      const rows = await server.sql.query<{ doc: Record<string, unknown>; deleted: boolean }>(
        `SELECT doc, deleted FROM brain_store_documents WHERE collection = 'humans'`,
      );
      return rows.map((row) => ({ ...row.doc, _deleted: row.deleted }));
    },
    cleanUpServer: () => server.reset(),
    softDeletes: true,
    isDeleted: (doc) => doc._deleted === true,
    getPrimaryOfServerDoc: (doc) => doc.passportId,
  });
}

describe('RxDB replication base suite: brain-store plugin against the server on PGlite', () => runAgainst('pglite'));
await describeOnPostgres('RxDB replication base suite: brain-store plugin against the server on PostgreSQL', () => runAgainst('postgres'));
