/**
 * `brain-store start` (what `npm start` runs): the main job as far as it exists — the sync
 * server on embedded PGlite, a bot store that writes Brain analytics and a dashboard store
 * that shows them live, both replicating through the server on loopback. The bot finishes
 * its round, then the server keeps serving (URL and a token printed) until Ctrl-C, or until
 * `--duration` seconds have passed.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { filter, firstValueFrom } from 'rxjs';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, replicateBrainStore, type BrainAction, type CreateActionArgs } from '../src/index.ts';
import { createAccessToken, startSyncServer } from '../src/server/index.ts';
import { CliError } from './cli-error.ts';
import { actionTable, stamp } from './live-table.ts';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './server-defaults.ts';

const WORKSPACE = 'demo';

export async function runStart(argv: readonly string[], print: (line: string) => void = console.log): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: { 'data-dir': { type: 'string' }, memory: { type: 'boolean' }, duration: { type: 'string' }, port: { type: 'string' } },
  });
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration >= 0)) throw new CliError('--duration must be a number of seconds ≥ 0');
  const secret = process.env['AUTH_SECRET'] ?? randomBytes(24).toString('hex');
  const started = Date.now();
  const log = (line: string) => print(`${stamp(started)} ${line}`);

  const server = await startSyncServer({
    authSecret: secret,
    port: Number(values.port ?? DEFAULT_PORT),
    logLevel: 'warn',
    ...(values.memory ? {} : { dataDir: resolve(values['data-dir'] ?? DEFAULT_DATA_DIR) }),
  });
  const token = await createAccessToken({ secret, workspaces: [WORKSPACE], ttlSeconds: 24 * 3600 });
  log(`sync server on ${server.url} (embedded PGlite${values.memory ? ', in memory' : ` in ${values['data-dir'] ?? DEFAULT_DATA_DIR}`})`);

  const bot = await createBrainStore({ name: 'brain-store-bot', storage: getRxStorageMemory() });
  const dashboard = await createBrainStore({ name: 'brain-store-dashboard', storage: getRxStorageMemory() });
  const botSync = replicateBrainStore(bot, { url: server.url, token, retryTime: 1_000 });
  const dashboardSync = replicateBrainStore(dashboard, { url: server.url, token, retryTime: 1_000 });
  await Promise.all([botSync.awaitInSync(), dashboardSync.awaitInSync()]);

  let latest: readonly BrainAction[] = [];
  const table = dashboard.brainActions.getActionsByPriority({ workspace_id: WORKSPACE, limit: 8 });
  const subscription = table.$.subscribe((actions) => {
    latest = actions;
    log(`dashboard ◂ ${actions.length} pending action(s) synced from the server\n${actionTable(actions, Date.now())}`);
  });
  const dashboardShows = (done: (actions: readonly BrainAction[]) => boolean) => firstValueFrom(table.$.pipe(filter(done)));

  try {
    log('bot ▸ createSummary, bulkCreateInsights, three action recommendations');
    await bot.brainSummaries.createSummary({
      workspace_id: WORKSPACE,
      summary_text: 'Pricing questions up; two leads ready for a call',
      summary_type: 'daily',
      trigger: 'cron',
      metrics: { newLeadsCount: 12, hotLeadsCount: 3, warmLeadsCount: 5, coldLeadsCount: 4 },
    });
    await bot.brainInsights.bulkCreateInsights({
      insights: [
        {
          workspace_id: WORKSPACE,
          insight_type: 'trending_topic',
          pattern: 'Annual plan pricing',
          frequency: 9,
          examples: [],
          confidence: 'high',
          time_range: 'today',
        },
      ],
    });
    const ids: string[] = [];
    for (const [contact_id, priority, reason] of [
      ['c-101', 60, 'Asked for the price list'],
      ['c-102', 85, 'Wants a demo call this week'],
      ['c-103', 95, 'Budget approved, decision today'],
    ] as const) {
      ids.push(await bot.brainActions.createActionRecommendation(action(contact_id, priority, reason)));
    }
    await dashboardShows((actions) => ids.every((id) => actions.some((a) => a.id === id)));
    const summary = await dashboard.brainSummaries.getLatestSummary({ workspace_id: WORKSPACE }).exec();
    log(`dashboard ◂ latest summary: "${summary?.summary_text ?? '—'}"`);

    log('dashboard ▸ markActionActioned c-103 (the bot sees it through the server)');
    await dashboard.brainActions.markActionActioned({ action_id: ids[2]!, actioned_by: 'dana' });
    await firstValueFrom(
      bot.brainActions.getActionsByWorkspace({ workspace_id: WORKSPACE, status: 'actioned' }).$.pipe(filter((list) => list.length > 0)),
    );
    log(`bot ◂ c-103 is actioned by dana; dashboard shows ${latest.length} pending`);

    print(`\nServer ${server.url} stays up for your own clients:\n  token for workspace "${WORKSPACE}": ${token}\n`);
    await new Promise<void>((stop) => {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (duration !== undefined) setTimeout(stop, duration * 1000).unref();
      else print('Ctrl-C stops it.');
    });
  } finally {
    subscription.unsubscribe();
    await Promise.all([bot.close(), dashboard.close()]);
    await server.close();
  }
}

function action(contact_id: string, priority: number, reason: string): CreateActionArgs {
  return { workspace_id: WORKSPACE, contact_id, action_type: 'follow_up', priority, urgency: 'today', reason };
}
