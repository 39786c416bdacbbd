import { describe, expect, it } from 'vitest';
import { endpoints } from '../../../src/protocol/endpoints.ts';
import { checkpointDatabase, type PullResponse } from '../../../src/protocol/messages.ts';
import { CLIENT_HEADER } from '../../../src/protocol/protocol-version.ts';
import { startTestServer, syncBackends } from '../../helpers/sync-server.ts';
import { action, client, openStream } from '../fixtures.ts';

/** A stream opened with a client id, its events collected. */
const streamOf = (url: string, token: string, clientId: string) =>
  openStream(url, 'brainActions', token, { headers: { [CLIENT_HEADER]: clientId } });

/** Issue 10 item 2: documents on a stream follow the same tenancy as pulls, and chain from the pull. */
describe.each(await syncBackends())('CHANGES events on %s', (backend) => {
  it("a caught-up stream receives its own workspace's documents, continuing from its pull, and never another's", async () => {
    const server = await startTestServer({ backend });
    const reader = await server.token(['t1']);
    const writer = client(server.url, await server.token(['t1', 't2']));
    const stream = await streamOf(server.url, reader, 'reader-client');
    await stream.firstMatching((event) => event.type === 'RESYNC');
    // Another tenant's stream on the same instance: the feed then reads both workspaces.
    const other = await streamOf(server.url, await server.token(['t2']), 'other-client');
    await other.firstMatching((event) => event.type === 'RESYNC');
    // A pull by the same client through this instance puts it on the feed's position.
    const seed = action('t1');
    await writer.push('brainActions', [{ newDocumentState: seed }]);
    const pulled = (await (
      await fetch(server.url + endpoints.pull('brainActions'), {
        method: 'POST',
        headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json', [CLIENT_HEADER]: 'reader-client' },
        body: JSON.stringify({ checkpoint: null, batchSize: 100 }),
      })
    ).json()) as PullResponse;
    expect(pulled.documents.map((doc) => doc.id)).toContain(seed.id);

    const mine = action('t1');
    const theirs = action('t2');
    await writer.push('brainActions', [{ newDocumentState: theirs }, { newDocumentState: mine }]);
    const event = await stream.firstMatching((candidate) => candidate.type === 'CHANGES');
    if (event.type !== 'CHANGES') throw new Error('unreachable');
    expect(event.documents.map((doc) => doc.id)).toEqual([mine.id]);
    // It continues exactly from the pull's checkpoint.
    expect(event.base).toBe(pulled.checkpoint!.snap);
    expect(checkpointDatabase(event.checkpoint.server)).toBe(checkpointDatabase(pulled.checkpoint!.server));
    // Writes only in the other workspace never reach this stream as data.
    await writer.push('brainActions', [{ newDocumentState: action('t2') }]);
    await writer.push('brainActions', [{ newDocumentState: action('t1') }]);
    await stream.firstMatching((candidate) => candidate.type === 'CHANGES' && candidate !== event);
    const shipped = stream.events.flatMap((candidate) => (candidate.type === 'CHANGES' ? candidate.documents : []));
    expect(shipped.every((doc) => doc['workspace_id'] === 't1')).toBe(true);
    await stream.close();
    await other.close();
    await server.close();
  }, 90_000);
});
