import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { endpoints } from '../../../../src/protocol/endpoints.ts';
import { CLIENT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../../../src/protocol/protocol-version.ts';
import type { WireDocument } from '../../../../src/protocol/messages.ts';
import { openIdleStream, socketsOnPort } from '../../../../harness/idle-streams.ts';
import { until as waitFor } from '../../../../harness/until.ts';
import { startTestServer, syncBackends } from '../../../helpers/sync-server.ts';
import { firstMatching, openSyncedStore, sync } from '../../../replication/sync-fixtures.ts';
import { action, client } from '../../fixtures.ts';

/**
 * Issue 23 §2, readers that never read: a change stream owes what it was sent since its
 * client's last pull, and a stream whose reader stopped is disconnected once it owes its
 * budget (`maxStreamOwedBytes`) — before, the kernel's auto-tuned buffers took ~4 MB per
 * stalled stream and none was closed. A reading client (a real replication) is never
 * disconnected by it and converges. Real sockets on loopback, PGlite and PostgreSQL.
 */
const backends = await syncBackends();
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An action of ~1.4 KB: six make a change frame of ~8 KiB (a stream is fed 32 KiB at most at once). */
const large = (workspace: string): WireDocument => action(workspace, { reason: 'r'.repeat(1_000), created_at: Date.now() });

let workspaceCounter = 0;
let ws = '';

describe.each(backends)('slow stream readers on %s', (backend) => {
  beforeEach(() => {
    ws = `slow-${++workspaceCounter}-${backend}`;
  });

  it('a stream whose reader stopped reading is disconnected once it owes the budget, and the server never queues more for it', async () => {
    const BUDGET = 64 * 1024;
    const server = await startTestServer({ backend, heartbeatMs: 100, limits: { maxStreamOwedBytes: BUDGET } });
    closers.push(() => server.close());
    const token = await server.token([ws]);
    const writer = client(server.url, token);
    expect((await writer.push('brainActions', [{ newDocumentState: large(ws) }])).status).toBe(200);
    const idle = await openIdleStream(server.url, token, 'stopped-reader');
    closers.push(() => void idle.socket.destroy());
    // One pull with its client id: the stream is fed documents from here on, not pokes.
    const pulled = await fetch(server.url + endpoints.pull('brainActions'), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        [CLIENT_HEADER]: 'stopped-reader',
        [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
      },
      body: JSON.stringify({ checkpoint: null, batchSize: 10 }),
    });
    expect(pulled.status).toBe(200);
    idle.stopReading();

    const port = Number(new URL(server.url).port);
    const reader = `${idle.socket.localAddress}:${idle.socket.localPort}`;
    /** The server's socket toward the reader, if it is still open. */
    const serverSide = () => socketsOnPort(port).find((socket) => socket.peer === reader);
    let largest = 0;
    /** Samples what the kernel holds between the two (the server's send queue and the reader's unread receive queue); true while the server still holds the connection. */
    const connected = () => {
      const server = serverSide();
      largest = Math.max(largest, (server?.sendQueue ?? 0) + (socketsOnPort(idle.socket.localPort!)[0]?.receiveQueue ?? 0));
      return server !== undefined;
    };
    // Up to ~1 MB of changes in its workspace (16 budgets), sampling what the kernel holds for it
    // after each push, until the server lets go of it: without the budget all of it would queue.
    for (let push = 0; push < 120 && connected(); push++) {
      const rows = Array.from({ length: 6 }, () => ({ newDocumentState: large(ws) }));
      expect((await writer.push('brainActions', rows)).body.rejected).toEqual([]);
    }
    // The server resets its connection: nothing stays queued for it in the kernel.
    await waitFor(
      () => !connected(),
      () => `the server to disconnect the reader (still connected, ${largest} bytes held for it)`,
      { timeoutMs: 5_000 },
    );
    // It owed at most the budget (frames; the chunked encoding adds a few bytes per frame on the wire).
    expect(largest).toBeGreaterThan(BUDGET / 4);
    expect(largest).toBeLessThanOrEqual(BUDGET + 4_096);
    // Reading again, the client finds its stream ended: it would reconnect and RESYNC.
    idle.socket.resume();
    await waitFor(() => idle.state.closed, 'the reader to find its stream ended', { timeoutMs: 2_000 });
  }, 60_000);

  it('a replication reading its stream through a burst far past the budget is never disconnected, and converges', async () => {
    // A client applying a burst into IndexedDB on a loaded machine may take seconds to reach the
    // pull a poke asks for: the window is two heartbeats (30 s by default, 10 s here).
    const heartbeatMs = 5_000;
    const server = await startTestServer({ backend, heartbeatMs, limits: { maxStreamOwedBytes: 32 * 1024 } });
    closers.push(() => server.close());
    const token = await server.token([ws]);
    const streamsOpened: string[] = [];
    const pulls: string[] = [];
    const store = await openSyncedStore();
    const replication = sync(store, {
      url: server.url,
      token,
      fetch: (input, init) => {
        if (String(input).endsWith('/stream')) streamsOpened.push(String(input));
        if (String(input).endsWith('/pull')) pulls.push(String(input));
        return fetch(input, init);
      },
    });
    closers.push(() => replication.cancel());
    await replication.awaitInSync();
    const streamsBefore = streamsOpened.length;
    const pullsBefore = pulls.length;

    // 600 actions of ~1.4 KB (~0.85 MB, 26 budgets) written by another client, four pushes at a time.
    const writer = client(server.url, await server.token([ws]));
    const written: Promise<unknown>[] = [];
    for (let push = 0; push < 100; push++) {
      written.push(
        writer.push(
          'brainActions',
          Array.from({ length: 6 }, () => ({ newDocumentState: large(ws) })),
        ),
      );
      if (written.length === 4) await Promise.all(written.splice(0));
    }
    await Promise.all(written);
    await firstMatching(store.database.brainActions.count().$, (count) => count === 600);
    // No reconnect of its stream on any collection (each was opened once, at the start), also
    // once a poke left unanswered would have run out.
    await sleep(2 * heartbeatMs + 1_000);
    expect(streamsOpened.length - streamsBefore).toBe(0);
    expect(pulls.length - pullsBefore).toBeGreaterThan(0);
  }, 120_000);
});
