import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBrainStore, type BrainStore, type CreateBrainStoreOptions } from '../../src/index.ts';
import { DAY_MS } from '../../src/collections/fields.ts';
import { startTestServer, syncBackends } from '../helpers/sync-server.ts';
import { client as rawClient } from '../server/fixtures.ts';
import { action, switchableFetch, sync, firstMatching } from './sync-fixtures.ts';

const backends = await syncBackends();
const open: BrainStore[] = [];
let counter = 0;

async function store(options: Omit<CreateBrainStoreOptions, 'storage' | 'name'> = {}): Promise<BrainStore> {
  const opened = await createBrainStore({ name: `roles-${process.pid}-${++counter}`, storage: getRxStorageMemory(), ...options });
  open.push(opened);
  return opened;
}
afterEach(async () => {
  for (const opened of open.splice(0)) await opened.close();
});

let ws = '';
let next = 0;

describe.each(backends)('roles through the real client against %s (issues 9, 12.1)', (backend) => {
  beforeEach(() => {
    ws = `roles-${++next}-${backend}`;
  });
  // Opening the file's database (PGlite takes seconds) is not any one test's time.
  beforeAll(async () => {
    await (await startTestServer({ backend })).close();
  }, 120_000);

  it('a member dashboard actions as itself; the bot sees it; session() says who the member is', async () => {
    const server = await startTestServer({ backend });
    const bot = await store({ role: 'bot', subject: 'the-bot' });
    const dana = await store({ role: 'member', subject: 'dana' });
    const botSync = sync(bot, { url: server.url, token: await server.token([ws]) });
    const danaSync = sync(dana, { url: server.url, token: await server.token([ws], 3_600, { role: 'member', subject: 'dana' }) });
    expect(await danaSync.session()).toEqual({ subject: 'dana', role: 'member', workspaces: [ws], expiresAt: expect.any(Number) });

    const id = await bot.brainActions.createActionRecommendation(action(ws));
    await firstMatching(dana.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 1);
    await dana.brainActions.markActionActioned({ action_id: id, actioned_by: 'dana' });
    const done = await firstMatching(
      bot.brainActions.getActionsByWorkspace({ workspace_id: ws, status: 'actioned' }).$,
      (list) => list.length === 1,
    );
    expect(done[0]).toMatchObject({ id, actioned_by: 'dana' });
    await danaSync.awaitInSync();
    expect(await firstMatching(danaSync.status$, (status) => status.state === 'idle')).toMatchObject({ pending: 0 });
    await botSync.cancel();
    await server.close();
  });

  it('the server refuses what a member token may not write even from a store that does not know its role; the write is reverted', async () => {
    const server = await startTestServer({ backend });
    const api = rawClient(server.url, await server.token([ws]));
    const trusting = await store();
    const memberSync = sync(trusting, { url: server.url, token: await server.token([ws], 3_600, { role: 'member', subject: 'dana' }) });
    const forged = await trusting.brainActions.createActionRecommendation(action(ws));
    const [rejected] = await firstMatching(memberSync.rejected$, (list) => list.length === 1);
    expect(rejected).toMatchObject({ code: 'FORBIDDEN_ROLE', document: { id: forged } });
    await firstMatching(trusting.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 0);
    expect((await api.pullAll('brainActions')).documents.filter((doc) => doc['workspace_id'] === ws)).toEqual([]);
    await server.close();
  });

  it('through the real client, each write a member or an operator token may not make is refused, reverted and kept in rejected$', async () => {
    const server = await startTestServer({ backend });
    const botStore = await store({ role: 'bot', subject: 'the-bot' });
    const botSync = sync(botStore, { url: server.url, token: await server.token([ws]), live: false });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await botStore.brainActions.createActionRecommendation(action(ws, { priority: 10 + i })));
    await botSync.awaitInSync();
    const [edited, removed, forged, byOperator, skewed] = ids as [string, string, string, string, string];

    // Stores that do not know their role, so every write reaches the server.
    const member = await store();
    const memberSync = sync(member, { url: server.url, token: await server.token([ws], 3_600, { role: 'member', subject: 'dana' }) });
    const fastMember = await store({ now: () => Date.now() + 3_600_000 });
    const fastSync = sync(fastMember, {
      url: server.url,
      token: await server.token([ws], 3_600, { role: 'member', subject: 'dana' }),
      correctClock: false,
    });
    const operator = await store();
    const operatorSync = sync(operator, { url: server.url, token: await server.token([ws], 3_600, { role: 'operator', subject: 'ops' }) });
    for (const [target, replication] of [
      [member, memberSync],
      [fastMember, fastSync],
      [operator, operatorSync],
    ] as const) {
      await replication.awaitInSync();
      await firstMatching(target.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 5);
    }

    await member.brainSummaries.createSummary({
      workspace_id: ws,
      summary_text: 'forged',
      summary_type: 'daily',
      trigger: 'cron',
      metrics: { newLeadsCount: 0, hotLeadsCount: 0, warmLeadsCount: 0, coldLeadsCount: 0 },
    });
    await member.brainInsights.createInsight({
      workspace_id: ws,
      insight_type: 'trending_topic',
      pattern: 'forged',
      frequency: 1,
      examples: [],
      confidence: 'low',
      time_range: 'today',
    });
    await (await member.database.brainActions.findOne(edited).exec())!.incrementalPatch({ priority: 100, priority_rank: 0 });
    await (await member.database.brainActions.findOne(removed).exec())!.remove();
    await member.brainActions.markActionActioned({ action_id: forged, actioned_by: 'sam' });
    await operator.brainActions.dismissAction({ action_id: byOperator });
    await fastMember.brainActions.markActionActioned({ action_id: skewed, actioned_by: 'dana' });

    const refusedByMember = await firstMatching(memberSync.rejected$, (list) => list.length === 5);
    expect(refusedByMember.map((write) => [write.collection, write.code]).sort()).toEqual(
      [
        ['brainActions', 'FORBIDDEN_ROLE'],
        ['brainActions', 'FORBIDDEN_ROLE'],
        ['brainActions', 'FORBIDDEN_ROLE'],
        ['brainInsights', 'FORBIDDEN_ROLE'],
        ['brainSummaries', 'FORBIDDEN_ROLE'],
      ].sort(),
    );
    expect((await firstMatching(operatorSync.rejected$, (list) => list.length === 1))[0]).toMatchObject({ code: 'FORBIDDEN_ROLE' });
    expect((await firstMatching(fastSync.rejected$, (list) => list.length === 1))[0]).toMatchObject({ code: 'CLOCK_SKEW' });

    // Every store is back to the bot's five pending actions, and so is the server.
    for (const target of [member, fastMember, operator]) {
      const pending = await firstMatching(target.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 5);
      expect(pending.map((doc) => [doc.id, doc.priority]).sort()).toEqual(ids.map((id, i) => [id, 10 + i]).sort());
    }
    await firstMatching(member.brainSummaries.getLatestSummary({ workspace_id: ws }).$, (latest) => latest === null);
    const api = rawClient(server.url, await server.token([ws]));
    const onServer = (await api.pullAll('brainActions')).documents.filter((doc) => doc['workspace_id'] === ws);
    expect(onServer.map((doc) => [doc.id, doc['status'], doc['priority'], doc._deleted]).sort()).toEqual(
      ids.map((id, i) => [id, 'pending', 10 + i, false]).sort(),
    );
    await server.close();
  }, 90_000);

  it('a client 25 h fast expiring a fresh action is refused (CLOCK_SKEW) and reverted; everyone keeps it pending', async () => {
    const server = await startTestServer({ backend });
    const token = await server.token([ws]);
    const honest = await store();
    const fast = await store({ now: () => Date.now() + 25 * 3_600_000 });
    sync(honest, { url: server.url, token });
    const fastSync = sync(fast, { url: server.url, token, correctClock: false });
    const id = await honest.brainActions.createActionRecommendation(action(ws));
    await firstMatching(fast.database.brainActions.findOne(id).$, (doc) => doc !== null);
    expect(await fast.brainActions.cleanupExpiredActions()).toBe(1);
    const [rejected] = await firstMatching(fastSync.rejected$, (list) => list.length === 1);
    expect(rejected).toMatchObject({ code: 'CLOCK_SKEW', document: { id, status: 'expired' } });
    const reverted = await firstMatching(fast.database.brainActions.findOne(id).$, (doc) => doc?.status === 'pending');
    expect(reverted!.expires_at).toBeGreaterThan(Date.now() + DAY_MS - 60_000);
    const api = rawClient(server.url, token);
    expect((await api.pullAll('brainActions')).documents.find((doc) => doc.id === id)).toMatchObject({ status: 'pending' });
    await server.close();
  });

  it('a token refresh mid-sync that revokes one workspace and grants another (issue 9.5)', async () => {
    const server = await startTestServer({ backend });
    const [kept, revoked, granted] = [`${ws}-a`, `${ws}-b`, `${ws}-c`];
    const bot = rawClient(server.url, await server.token([kept, revoked, granted]));
    const seeded = await store({ role: 'bot', subject: 'seeder' });
    const seedSync = sync(seeded, { url: server.url, token: await server.token([kept, revoked, granted]), live: false });
    for (const workspace of [kept, revoked, granted]) await seeded.brainActions.createActionRecommendation(action(workspace));
    await seedSync.awaitInSync();

    const tokens = { current: await server.token([kept, revoked]) };
    const net = switchableFetch();
    const dashboard = await store();
    const live = sync(dashboard, { url: server.url, getToken: () => tokens.current, fetch: net.fetch });
    const held = (workspace: string) => dashboard.brainActions.getActionsByWorkspace({ workspace_id: workspace, limit: 100 }).$;
    await firstMatching(held(revoked), (list) => list.length === 1);
    await firstMatching(held(kept), (list) => list.length === 1);
    expect((await live.session()).workspaces).toEqual([kept, revoked].sort());

    // Offline, a write in the workspace about to be revoked: it will never be accepted.
    net.online = false;
    const unsynced = await dashboard.brainActions.createActionRecommendation(action(revoked, { reason: 'written offline' }));
    tokens.current = await server.token([kept, granted]);
    net.online = true;
    live.resync();

    await firstMatching(held(granted), (list) => list.length === 1);
    await firstMatching(held(revoked), (list) => list.length === 0);
    const rejected = await firstMatching(live.rejected$, (list) => list.length > 0);
    expect(rejected).toEqual([
      expect.objectContaining({
        code: 'FORBIDDEN_WORKSPACE',
        collection: 'brainActions',
        document: expect.objectContaining({ id: unsynced }),
      }),
    ]);
    expect(await firstMatching(live.status$, (status) => status.state === 'idle')).toMatchObject({ pending: 0 });
    expect((await live.session()).workspaces).toEqual([granted, kept].sort());
    // The server keeps the revoked workspace as it was: no deletes travelled, the offline write never arrived.
    const onServer = (await bot.pullAll('brainActions')).documents.filter((doc) => doc['workspace_id'] === revoked);
    expect(onServer).toHaveLength(1);
    expect(onServer[0]).toMatchObject({ _deleted: false });
    await server.close();
  });
});
