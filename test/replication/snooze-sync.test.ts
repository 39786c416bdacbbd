import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBrainStore, type BrainStore, type CreateBrainStoreOptions } from '../../src/index.ts';
import { startTestServer, syncBackends } from '../helpers/sync-server.ts';
import { action, switchableFetch, sync, firstMatching } from './sync-fixtures.ts';

const backends = await syncBackends();
const open: BrainStore[] = [];
let counter = 0;

async function store(options: Omit<CreateBrainStoreOptions, 'storage' | 'name'> = {}): Promise<BrainStore> {
  const opened = await createBrainStore({ name: `snooze-${process.pid}-${++counter}`, storage: getRxStorageMemory(), ...options });
  open.push(opened);
  return opened;
}
afterEach(async () => {
  for (const opened of open.splice(0)) await opened.close();
});

const HOUR = 3_600_000;

describe.each(backends)('snooze through the server on %s (issue 20)', (backend) => {
  beforeAll(async () => {
    await (await startTestServer({ backend })).close();
  }, 120_000);

  it('a member snoozes on one client; the bot sees who and until when, and its queue hides the action until then', async () => {
    const ws = `snooze-${backend}-${++counter}`;
    let t = Date.now();
    const clock = () => t;
    const server = await startTestServer({ backend, now: clock });
    const bot = await store({ role: 'bot', subject: 'the-bot', now: clock });
    const dana = await store({ role: 'member', subject: 'dana', now: clock });
    sync(bot, { url: server.url, token: await server.token([ws]) });
    const danaSync = sync(dana, { url: server.url, token: await server.token([ws], 3_600, { role: 'member', subject: 'dana' }) });
    const id = await bot.brainActions.createActionRecommendation(action(ws, { priority: 90 }));
    const other = await bot.brainActions.createActionRecommendation(action(ws, { priority: 10 }));
    await firstMatching(dana.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 2);

    const snoozedAt = t;
    await dana.brainActions.snoozeAction({ action_id: id, until: t + HOUR });
    const botQueue = await firstMatching(bot.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 1);
    expect(botQueue.map((a) => a.id)).toEqual([other]);
    const seen = await bot.database.brainActions.findOne(id).exec();
    expect(seen?.toJSON()).toMatchObject({ status: 'pending', snoozed_until: snoozedAt + HOUR, snoozed_at: snoozedAt, snoozed_by: 'dana' });
    await danaSync.awaitInSync();
    const [row] = await server.sql.query<{ doc: Record<string, unknown> }>('SELECT doc FROM brain_store_documents WHERE id = $1', [id]);
    expect(row!.doc).toMatchObject({ snoozed_until: snoozedAt + HOUR, snoozed_by: 'dana' });

    // A bot re-prioritises the snoozed action: the snooze stays.
    t += 1_000;
    await bot.database.brainActions
      .findOne(id)
      .exec()
      .then((doc) => doc!.incrementalPatch({ priority: 95, priority_rank: 5 }));
    await firstMatching(dana.database.brainActions.findOne(id).$, (doc) => doc?.priority === 95);
    expect((await dana.database.brainActions.findOne(id).exec())?.snoozed_until).toBe(snoozedAt + HOUR);

    t = snoozedAt + HOUR; // the stores' clock is `clock`: moving `t` is time passing
    const back = await bot.brainActions.getActionsByPriority({ workspace_id: ws }).exec();
    expect(back.map((a) => a.id)).toEqual([id, other]);
    await server.close();
  });

  it('a server expiry racing a snooze: the expiry wins on every side, whichever reaches the server first; nothing is rejected', async () => {
    const ws = `snooze-race-${backend}-${++counter}`;
    let t = Date.now();
    const clock = () => t;
    const server = await startTestServer({ backend, now: clock });
    const bot = await store({ now: clock });
    const botSync = sync(bot, { url: server.url, token: await server.token([ws]) });
    const net = switchableFetch();
    const dana = await store({ role: 'member', subject: 'dana', now: clock });
    const danaSync = sync(dana, {
      url: server.url,
      token: await server.token([ws], 3_600, { role: 'member', subject: 'dana' }),
      fetch: net.fetch,
    });
    const early = await bot.brainActions.createActionRecommendation(action(ws, { expires_at: t + 10_000 }));
    const late = await bot.brainActions.createActionRecommendation(action(ws, { expires_at: t + 10_000 }));
    await firstMatching(dana.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 2);

    // `early`: the snooze reaches the server before the expiry does.
    await dana.brainActions.snoozeAction({ action_id: early, until: t + HOUR });
    await danaSync.awaitInSync();
    // `late`: snoozed offline, before the expiry; the server expires it meanwhile.
    net.online = false;
    await dana.brainActions.snoozeAction({ action_id: late, until: t + HOUR });
    t += 20_000;
    expect((await server.runMaintenance()).expired).toBe(2);
    net.online = true;
    danaSync.resync();
    botSync.resync();
    for (const replica of [dana, bot]) {
      await firstMatching(
        replica.brainActions.getActionsByWorkspace({ workspace_id: ws, status: 'expired' }).$,
        (list) => list.length === 2,
      );
    }
    await danaSync.awaitInSync();
    const rows = await server.sql.query<{ doc: Record<string, unknown> }>(
      "SELECT doc FROM brain_store_documents WHERE collection = 'brainActions' AND workspace_id = $1 ORDER BY id",
      [ws],
    );
    expect(rows.map((row) => row.doc['status'])).toEqual(['expired', 'expired']);
    for (const id of [early, late]) {
      const [local, remote] = await Promise.all([dana, bot].map((s) => s.database.brainActions.findOne(id).exec()));
      const { _meta: _m1, _rev: _r1, ...a } = local!.toJSON(true);
      const { _meta: _m2, _rev: _r2, ...b } = remote!.toJSON(true);
      expect(a).toEqual(b);
      expect(a).toEqual({ ...rows.find((row) => row.doc['id'] === id)!.doc, _deleted: false, _attachments: {} });
    }
    expect(await new Promise((resolve) => danaSync.rejected$.subscribe((list) => resolve(list.length)))).toBe(0);
    await server.close();
  });

  it('the server refuses a member snoozing in another name (the store did not know its role): rejected, reverted', async () => {
    const ws = `snooze-role-${backend}-${++counter}`;
    const server = await startTestServer({ backend });
    const bot = await store();
    const botSync = sync(bot, { url: server.url, token: await server.token([ws]), live: false });
    const id = await bot.brainActions.createActionRecommendation(action(ws));
    await botSync.awaitInSync();
    const trusting = await store();
    const memberSync = sync(trusting, { url: server.url, token: await server.token([ws], 3_600, { role: 'member', subject: 'dana' }) });
    await firstMatching(trusting.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 1);
    await trusting.brainActions.snoozeAction({ action_id: id, until: Date.now() + HOUR, snoozed_by: 'eve' });
    const [rejected] = await firstMatching(memberSync.rejected$, (list) => list.length === 1);
    expect(rejected).toMatchObject({ code: 'FORBIDDEN_ROLE', document: { id } });
    await firstMatching(trusting.brainActions.getActionsByPriority({ workspace_id: ws }).$, (list) => list.length === 1);
    expect((await trusting.database.brainActions.findOne(id).exec())?.snoozed_until).toBe(0);
    await server.close();
  });
});
