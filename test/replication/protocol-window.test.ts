import { beforeAll, describe, expect, it } from 'vitest';
import { OLDEST_PROTOCOL_VERSION, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../src/protocol/protocol-version.ts';
import { endpoints } from '../../src/protocol/endpoints.ts';
import type { PullResponse, PushResponse, WireDocument } from '../../src/protocol/messages.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { action, openSyncedStore, sync, firstMatching } from './sync-fixtures.ts';

/**
 * Issue 20: a rollout meets old clients. The server serves the previous protocol version
 * (schema version 0 for actions: no snooze fields), upgrading what such a client pushes and
 * downgrading what it reads; a client older than the window gets UPGRADE_REQUIRED on
 * status$ and keeps every write until it is upgraded.
 */
let server: TestServer;
let counter = 0;
beforeAll(async () => {
  server = await startTestServer({ backend: 'pglite' });
  return () => server.close();
}, 120_000);

/** A client of protocol `version` at the wire level, as the previous release's replication speaks it. */
function wireClient(token: string, version: number) {
  const call = async <T>(path: string, body: unknown) => {
    const response = await fetch(server.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', [PROTOCOL_HEADER]: String(version) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  return {
    pull: async (collection: string) => (await call<PullResponse>(endpoints.pull(collection), { checkpoint: null, batchSize: 100 })).body,
    push: (collection: string, rows: { newDocumentState: WireDocument; assumedMasterState: WireDocument | null }[]) =>
      call<PushResponse & { error?: { code: string } }>(endpoints.push(collection), { rows }),
  };
}

async function stored(id: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await server.sql.query<{ doc: Record<string, unknown> }>('SELECT doc FROM brain_store_documents WHERE id = $1', [id]);
  return row?.doc;
}

const SNOOZE = ['snoozed_until', 'snoozed_at', 'snoozed_by'];

describe('the support window (issue 20)', () => {
  it(
    `serves protocol ${OLDEST_PROTOCOL_VERSION}: version-0 actions in and out, a snooze it cannot see kept`,
    { timeout: 60_000 },
    async () => {
      expect(OLDEST_PROTOCOL_VERSION).toBe(PROTOCOL_VERSION - 1);
      const ws = `window-${++counter}`;
      const bot = await openSyncedStore();
      const botSync = sync(bot, { url: server.url, token: await server.token([ws]) });
      const snoozed = await bot.brainActions.createActionRecommendation(action(ws, { priority: 80 }));
      const plain = await bot.brainActions.createActionRecommendation(action(ws, { priority: 20 }));
      await bot.brainActions.snoozeAction({ action_id: snoozed, until: Date.now() + 3_600_000, snoozed_by: 'the-bot' });
      await botSync.awaitInSync();

      const old = wireClient(await server.token([ws]), OLDEST_PROTOCOL_VERSION);
      const pulled = (await old.pull('brainActions')).documents.filter((doc) => doc['workspace_id'] === ws);
      expect(pulled.map((doc) => doc.id).sort()).toEqual([snoozed, plain].sort());
      for (const doc of pulled) for (const field of SNOOZE) expect(doc).not.toHaveProperty(field);

      // The old client dismisses the snoozed action and re-prioritises the other one, against
      // the version-0 documents it holds: accepted, no conflict, the snooze kept.
      const seen = Object.fromEntries(pulled.map((doc) => [doc.id, doc]));
      const dismissed = { ...seen[snoozed]!, status: 'dismissed', status_at: Date.now() };
      const edited = { ...seen[plain]!, priority: 95, priority_rank: 5 };
      const created = { ...edited, id: `old-${ws}`, priority: 50, priority_rank: 50 };
      const answer = await old.push('brainActions', [
        { newDocumentState: dismissed, assumedMasterState: seen[snoozed]! },
        { newDocumentState: edited, assumedMasterState: seen[plain]! },
        { newDocumentState: created, assumedMasterState: null },
      ]);
      expect(answer).toEqual({ status: 200, body: { conflicts: [], rejected: [] } });
      expect(await stored(snoozed)).toMatchObject({ status: 'dismissed', snoozed_until: expect.any(Number), snoozed_by: 'the-bot' });
      expect(await stored(plain)).toMatchObject({ priority: 95, snoozed_until: 0 });
      expect(await stored(created.id)).toMatchObject({ status: 'pending', snoozed_until: 0 });

      // A stale push is answered with the master in version 0 (which it can store).
      const stale = await old.push('brainActions', [
        { newDocumentState: { ...edited, priority: 10, priority_rank: 90 }, assumedMasterState: seen[plain]! },
      ]);
      expect(stale.body.conflicts).toHaveLength(1);
      for (const field of SNOOZE) expect(stale.body.conflicts[0]).not.toHaveProperty(field);

      // The new client sees the old client's writes in version 1.
      await firstMatching(bot.brainActions.getActionsByWorkspace({ workspace_id: ws, status: 'dismissed' }).$, (list) => list.length === 1);
      const mine = await firstMatching(bot.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 2);
      expect(mine.map((a) => a.id)).toEqual([plain, created.id]);
      expect(mine[1]).toMatchObject({ snoozed_until: 0 });
      await botSync.cancel();
    },
  );

  it(
    'a client older than the window gets UPGRADE_REQUIRED on status$, keeps its writes, and syncs them once upgraded',
    { timeout: 60_000 },
    async () => {
      const ws = `too-old-${++counter}`;
      const store = await openSyncedStore();
      const id = await store.brainActions.createActionRecommendation(action(ws));
      const tooOld = sync(store, { url: server.url, token: await server.token([ws]), protocolVersion: OLDEST_PROTOCOL_VERSION - 1 });
      // The write is counted as pending (its push is refused too), never as rejected.
      const status = await firstMatching(tooOld.status$, (s) => s.state === 'upgrade-required' && s.pending === 1);
      expect(status.error).toMatchObject({
        code: 'UPGRADE_REQUIRED',
        parameters: { status: 426 },
      });
      // Retried while it waits: still refused, never dropped, never rejected.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await new Promise((resolve) => tooOld.rejected$.subscribe((list) => resolve(list.length)))).toBe(0);
      expect(await stored(id)).toBeUndefined();
      expect(await store.brainActions.getActionsByPriority({ workspace_id: ws }).exec()).toHaveLength(1);
      await tooOld.cancel();

      // The upgrade: the same store, this release's protocol.
      const upgraded = sync(store, { url: server.url, token: await server.token([ws]) });
      await upgraded.awaitInSync();
      expect(await stored(id)).toMatchObject({ status: 'pending', snoozed_until: 0 });
      expect(await firstMatching(upgraded.status$, (s) => s.state === 'idle')).toMatchObject({ pending: 0 });
      await upgraded.cancel();
    },
  );

  it('a version newer than the server, or no version at all, is not an upgrade: 400, and the current version when absent', async () => {
    const token = await server.token(['w']);
    const ask = (version?: string) =>
      fetch(server.url + endpoints.pull('brainActions'), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(version ? { [PROTOCOL_HEADER]: version } : {}),
        },
        body: JSON.stringify({ checkpoint: null, batchSize: 1 }),
      });
    expect((await ask(String(PROTOCOL_VERSION + 1))).status).toBe(400);
    expect((await ask('x')).status).toBe(400);
    expect((await ask()).status).toBe(200);
    const refused = await ask('1');
    expect(refused.status).toBe(426);
    expect(await refused.json()).toMatchObject({ error: { code: 'UPGRADE_REQUIRED' } });
  });
});
