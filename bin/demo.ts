/**
 * `brain-store demo`: a short live tour of the store on RxDB's memory storage. A simulated
 * bot writes a summary, insights and actions; two live queries print on every emission; one
 * action is actioned, one dismissed, one expires by the in-app timer, and the rest expire
 * when the injected clock jumps a day ahead and the cleanup runs.
 */
import { parseArgs } from 'node:util';
import { BehaviorSubject, filter, firstValueFrom } from 'rxjs';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, type BrainAction, type CreateActionArgs, type CreateInsightArgs } from '../src/index.ts';
import { CliError } from './cli-error.ts';
import { actionTable, stamp, summaryLine } from './live-table.ts';

const WORKSPACE = 'demo';
const DAY_MS = 86_400_000;

export interface DemoOptions {
  /** Real milliseconds between two bot steps (the pace of the demo; 0 runs it flat out). */
  readonly stepMs: number;
  readonly print?: (line: string) => void;
}

/** `brain-store demo [--step-ms n]`. */
export function runDemoCommand(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], strict: true, options: { 'step-ms': { type: 'string' } } });
  const stepMs = Number(values['step-ms'] ?? 400);
  if (!Number.isInteger(stepMs) || stepMs < 0) throw new CliError('--step-ms must be a whole number of milliseconds ≥ 0');
  return runDemo({ stepMs });
}

export async function runDemo({ stepMs, print = console.log }: DemoOptions): Promise<void> {
  const start = Date.now();
  // The injected clock: real time plus a skew the demo moves forward to show expiry.
  let skew = 0;
  const now = () => Date.now() + skew;
  const log = (line: string) => print(`${stamp(start)} ${line}`);
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, stepMs));

  const store = await createBrainStore({ name: 'brain-store-demo', storage: getRxStorageMemory(), now });
  const { brainSummaries, brainInsights, brainActions } = store;
  print(`brain-store demo — memory storage, workspace "${WORKSPACE}", two live queries subscribed\n`);

  const latest$ = new BehaviorSubject<readonly BrainAction[] | undefined>(undefined);
  const subscriptions = [
    brainSummaries.getLatestSummary({ workspace_id: WORKSPACE }).$.subscribe((summary) => log(`◂ latest summary: ${summaryLine(summary)}`)),
    brainActions.getActionsByPriority({ workspace_id: WORKSPACE }).$.subscribe((actions) => {
      log(`◂ actions by priority: ${describeChange(latest$.value ?? [], actions, now())}\n${actionTable(actions, now())}`);
      latest$.next(actions);
    }),
  ];
  /** Resolves once the live table satisfies `done` — the demo waits on emissions, never on time. */
  const tableWhere = (done: (actions: readonly BrainAction[]) => boolean) =>
    firstValueFrom(latest$.pipe(filter((actions): actions is readonly BrainAction[] => actions !== undefined && done(actions))));
  const has = (id: string) => (actions: readonly BrainAction[]) => actions.some((action) => action.id === id);
  const lacks = (id: string) => (actions: readonly BrainAction[]) => !actions.some((action) => action.id === id);

  try {
    await tableWhere(() => true);
    await pause();
    log('bot ▸ createSummary (daily)');
    await brainSummaries.createSummary({
      workspace_id: WORKSPACE,
      summary_text: 'Pricing questions up; two leads ready for a call',
      summary_type: 'daily',
      trigger: 'cron',
      metrics: { newLeadsCount: 12, hotLeadsCount: 3, warmLeadsCount: 5, coldLeadsCount: 4, responseRate: 68 },
    });

    await pause();
    const insightIds = await brainInsights.bulkCreateInsights({
      insights: [
        insight('trending_topic', 'Annual plan pricing', 9),
        insight('objection_pattern', '"Too expensive for a small team"', 4),
        insight('interest_signal', 'Asked about the API', 3),
      ],
    });
    log(`bot ▸ bulkCreateInsights → ${insightIds.length} ids (the action table does not re-emit: its answer is unchanged)`);

    const bot = async (args: CreateActionArgs, ttlMs?: number) => {
      await pause();
      const note = ttlMs === undefined ? '' : `, expiring in ${(ttlMs / 1000).toFixed(1)}s`;
      log(`bot ▸ createActionRecommendation ${args.contact_id} priority ${args.priority}${note}`);
      const id = await brainActions.createActionRecommendation(ttlMs === undefined ? args : { ...args, expires_at: now() + ttlMs });
      // An action expiring within moments (--step-ms 0) may never show in the live table: its
      // expiry comes first, and waiting to see it was the hang of `demo --step-ms 0` (issue 17).
      await (ttlMs === undefined ? tableWhere(has(id)) : Promise.race([tableWhere(has(id)), sleep(ttlMs)]));
      return id;
    };
    const pricing = await bot(actionArgs('c-101', 60, 'this_week', 'follow_up', 'Asked for the price list'));
    const handoff = await bot(actionArgs('c-102', 85, 'today', 'handoff_ready', 'Wants a demo call this week'));
    await bot(actionArgs('c-104', 40, 'this_week', 'response_template', 'Template for the pricing objection'));
    const flashTtl = Math.max(Math.round(1.5 * stepMs), 1);
    const flash = await bot(actionArgs('c-103', 95, 'immediate', 'opportunity_alert', 'Budget approved, decision today'), flashTtl);
    log('… c-103 leaves the live table at its expires_at instant, before any cleanup has run');
    await tableWhere(lacks(flash));

    await pause();
    log('dashboard ▸ markActionActioned c-102 by dana');
    await brainActions.markActionActioned({ action_id: handoff, actioned_by: 'dana' });
    await tableWhere(lacks(handoff));

    await pause();
    log('dashboard ▸ dismissAction c-101');
    await brainActions.dismissAction({ action_id: pricing });
    await tableWhere(lacks(pricing));

    await pause();
    log('bot ▸ createSummary (manual)');
    await brainSummaries.createSummary({
      workspace_id: WORKSPACE,
      summary_text: 'Afternoon check: one hot lead handed off',
      summary_type: 'manual',
      trigger: 'command',
      triggered_by: 'dana',
      metrics: { newLeadsCount: 3, hotLeadsCount: 1, warmLeadsCount: 1, coldLeadsCount: 1 },
    });

    await pause();
    skew += DAY_MS;
    log('clock ▸ +24 h on the injected clock; dashboard ▸ cleanupExpiredActions()');
    const expired = await brainActions.cleanupExpiredActions();
    await tableWhere((actions) => actions.length === 0);
    log(`… cleanup marked ${expired} pending action(s) expired (c-103, already hidden, included)`);

    const counts = await Promise.all(
      (['pending', 'actioned', 'dismissed', 'expired'] as const).map(
        async (status) => `${status} ${(await brainActions.getActionsByWorkspace({ workspace_id: WORKSPACE, status }).exec()).length}`,
      ),
    );
    print(`\ndone in ${((Date.now() - start) / 1000).toFixed(1)}s — actions: ${counts.join(', ')}`);
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
    latest$.complete();
    await store.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function actionArgs(
  contact_id: string,
  priority: number,
  urgency: CreateActionArgs['urgency'],
  action_type: CreateActionArgs['action_type'],
  reason: string,
): CreateActionArgs {
  return { workspace_id: WORKSPACE, contact_id, action_type, priority, urgency, reason };
}

function insight(insight_type: CreateInsightArgs['insight_type'], pattern: string, frequency: number): CreateInsightArgs {
  return { workspace_id: WORKSPACE, insight_type, pattern, frequency, examples: [], confidence: 'medium', time_range: 'today' };
}

/** "+c-101", "−c-102 (expired)": what an emission changed compared with the previous one. */
function describeChange(before: readonly BrainAction[], after: readonly BrainAction[], now: number): string {
  const added = after.filter((action) => !before.some((old) => old.id === action.id)).map((action) => `+${action.contact_id}`);
  const removed = before
    .filter((old) => !after.some((action) => action.id === old.id))
    .map((old) => `−${old.contact_id}${old.expires_at <= now ? ' (expired)' : ''}`);
  const change = [...added, ...removed].join(' ');
  return `${after.length} pending${change ? `, ${change}` : ''}`;
}
