import { afterAll, beforeAll, it } from 'vitest';
import { describeOnPostgres, startTestServer, type TestServer } from '../../helpers/sync-server.ts';
import { action, client, openStream } from '../fixtures.ts';

await describeOnPostgres('LISTEN reconnect on PostgreSQL', () => {
  let server: TestServer;
  let writer: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres' });
    writer = await startTestServer({ backend: 'postgres' });
  });
  afterAll(async () => {
    await server.close();
    await writer.close();
  });

  it('sends RESYNC to every stream after the LISTEN connection comes back, and pokes again', async () => {
    const token = await server.token(['w1']);
    const streams = await Promise.all([openStream(server.url, 'brainActions', token), openStream(server.url, 'brainInsights', token)]);
    for (const stream of streams) await stream.next('RESYNC');
    // Kill every LISTEN connection of this database (both instances'); the server must notice and come back.
    await server.sql.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'brain-store-listen' AND datname = current_database()`,
    );
    for (const stream of streams) await stream.next('RESYNC', 10_000);
    await client(writer.url, token).push('brainActions', [{ newDocumentState: action('w1') }]);
    await streams[0].next('CHANGE');
    for (const stream of streams) await stream.close();
  });
});
