import { filter, firstValueFrom, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { BrainStore } from '../../src/index.ts';
import { startTestServer, syncBackends } from '../helpers/sync-server.ts';
import { client } from '../server/fixtures.ts';
import { action, openSyncedStore, sync } from './sync-fixtures.ts';

let counter = 0;

function arrives(store: BrainStore, ws: string, test: (ids: string[]) => boolean): Promise<unknown> {
  return firstValueFrom(
    store.brainActions.getActionsByWorkspace({ workspace_id: ws }).$.pipe(
      filter((list) => test(list.map((doc) => doc.id))),
      timeout(10_000),
    ),
  );
}

/** Counts pull requests; can slip a forged event into the change stream. */
function meteredFetch(forge?: () => string) {
  const state = { pulls: 0 };
  const fetcher = async (input: string, init?: RequestInit): Promise<Response> => {
    const url = input;
    if (url.endsWith('/pull')) state.pulls += 1;
    const response = await fetch(input, init);
    if (!forge || !url.endsWith('/brainActions/stream') || !response.body) return response;
    let injected = false;
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          controller.enqueue(chunk);
          if (!injected) {
            injected = true;
            controller.enqueue(new TextEncoder().encode(`data: ${forge()}\n\n`));
          }
        },
      }),
    );
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { state, fetch: fetcher };
}

/**
 * Issue 10 item 2: a change is read once by the server and sent with its checkpoint on the
 * streams of clients that are caught up; they apply it without pulling. A stream event never
 * moves a client's checkpoint past a row it has not received: the client applies one only
 * when it continues exactly from its own checkpoint.
 */
describe.each(await syncBackends())('server-pushed changes on %s', (backend) => {
  it('a caught-up client gets each change on its stream, without pulling', async () => {
    const ws = `pushed-${backend}-${++counter}`;
    const server = await startTestServer({ backend });
    const token = await server.token([ws]);
    const [a, b] = [await openSyncedStore(), await openSyncedStore()];
    const metered = meteredFetch();
    const syncs = [sync(a, { url: server.url, token }), sync(b, { url: server.url, token, fetch: metered.fetch })];
    await Promise.all(syncs.map((s) => s.awaitInSync()));
    // One write to settle B on the feed's position (its pull after the poke lands there).
    const first = await a.brainActions.createActionRecommendation(action(ws));
    await arrives(b, ws, (ids) => ids.includes(first));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const pullsBefore = metered.state.pulls;
    const written: string[] = [first];
    for (let i = 0; i < 10; i++) {
      const id = await a.brainActions.createActionRecommendation(action(ws));
      written.push(id);
      await arrives(b, ws, (ids) => ids.includes(id));
    }
    expect(metered.state.pulls - pullsBefore).toBe(0);
    const held = await b.brainActions.getActionsByWorkspace({ workspace_id: ws }).exec();
    expect(held.map((doc) => doc.id).sort()).toEqual([...written].sort());
    for (const s of syncs) await s.cancel();
    await server.close();
  }, 90_000);

  it('an event that does not continue from the client checkpoint is not applied; the client pulls instead', async () => {
    const ws = `forged-${backend}-${++counter}`;
    const server = await startTestServer({ backend });
    const token = await server.token([ws]);
    const a = await openSyncedStore();
    const seed = await a.brainActions.createActionRecommendation(action(ws));
    const syncA = sync(a, { url: server.url, token });
    await syncA.awaitWrite(seed);
    // A CHANGES event of this very server whose base is not the client's checkpoint, claiming a
    // far-ahead snapshot: applied, it would move the checkpoint past every later row.
    const raw = await client(server.url, token).pull('brainActions', null);
    const forgedDoc = { ...raw.body.documents[0]!, id: 'forged' };
    const forge = () =>
      JSON.stringify({
        type: 'CHANGES',
        base: '3:3:',
        documents: [forgedDoc],
        checkpoint: { ...raw.body.checkpoint!, snap: '999999999:999999999:', upto: null, tx: '0', seq: '0' },
      });
    const b = await openSyncedStore();
    const syncB = sync(b, { url: server.url, token, fetch: meteredFetch(forge).fetch });
    await syncB.awaitInSync();
    await arrives(b, ws, (ids) => ids.includes(seed));
    const later = await a.brainActions.createActionRecommendation(action(ws));
    await arrives(b, ws, (ids) => ids.includes(later));
    const held = await b.brainActions.getActionsByWorkspace({ workspace_id: ws }).exec();
    expect(held.map((doc) => doc.id).sort()).toEqual([seed, later].sort());
    await syncA.cancel();
    await syncB.cancel();
    await server.close();
  }, 90_000);
});
