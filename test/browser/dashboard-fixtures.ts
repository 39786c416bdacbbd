/**
 * The bot's side of the dashboard tests: a Node store (memory storage) replicating with a
 * bot token, writing realistic actions, insights and summaries; and a reader of the server's
 * pull API, to check what actually reached the server.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, replicateBrainStore, type BrainStore, type BrainSync, type CreateActionArgs } from '../../src/index.ts';
import { endpoints } from '../../src/protocol/endpoints.ts';

export const WORKSPACE = 'acme-sales';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Bot {
  /** The bot's clock is the wall clock plus `offset` (to date summaries in the past). */
  readonly clock: { offset: number };
  readonly store: BrainStore;
  readonly sync: BrainSync;
  action(args: Partial<CreateActionArgs> & { reason: string; priority: number }): Promise<string>;
  close(): Promise<void>;
}

let botCount = 0;
export async function startBot(url: string, token: string): Promise<Bot> {
  const clock = { offset: 0 };
  const store = await createBrainStore({
    name: `dashboard-bot-${process.pid}-${botCount++}`,
    storage: getRxStorageMemory(),
    multiInstance: false,
    now: () => Date.now() + clock.offset,
  });
  // Its clock is moved by hand (back-dated summaries): the server's clock must not correct it.
  const sync = replicateBrainStore(store, { url, token, retryTime: 200, correctClock: false });
  return {
    clock,
    store,
    sync,
    async action(args) {
      const id = await store.brainActions.createActionRecommendation({
        workspace_id: WORKSPACE,
        contact_id: 'contact-0',
        action_type: 'follow_up',
        urgency: 'today',
        ...args,
      });
      await sync.awaitWrite(id);
      return id;
    },
    close: () => store.close(),
  };
}

export const SAMPLE_ACTIONS: readonly (Partial<CreateActionArgs> & { reason: string; priority: number })[] = [
  {
    reason: 'Asked for pricing twice and mentioned a Friday deadline',
    contact_id: 'Maria Gonzalez · Northwind',
    action_type: 'opportunity_alert',
    urgency: 'immediate',
    priority: 92,
    suggested_message:
      'Hi Maria, here is the pricing sheet for 25 seats, with the annual discount applied. Shall we lock it in before Friday?',
  },
  {
    reason: 'Ready for a demo: three product questions answered in one day',
    contact_id: 'Tom Becker · Lindqvist AB',
    action_type: 'handoff_ready',
    urgency: 'today',
    priority: 81,
    suggested_message: 'Tom, happy to show you the reporting module live. Does Thursday 10:00 work?',
  },
  {
    reason: 'No reply since the proposal five days ago',
    contact_id: 'Aisha Khan · Brightline',
    action_type: 'follow_up',
    urgency: 'today',
    priority: 64,
    suggested_message: 'Hi Aisha, just checking the proposal reached the right people. Any questions I can answer?',
  },
  {
    reason: 'Objected to onboarding time; send the 2-week rollout plan',
    contact_id: 'Kenji Sato · Tama Logistics',
    action_type: 'response_template',
    urgency: 'this_week',
    priority: 47,
    suggested_message: 'Kenji, most teams your size are live in two weeks. Here is the plan we follow.',
  },
];

export async function writeInsightsAndSummaries(bot: Bot): Promise<void> {
  await bot.store.brainInsights.bulkCreateInsights({
    insights: [
      {
        workspace_id: WORKSPACE,
        insight_type: 'objection_pattern',
        pattern: 'Price compared with a cheaper competitor',
        frequency: 14,
        examples: ['Vendor X quoted us 30% less', 'Can you match their price?'],
        recommendation: 'Lead with total cost of ownership, not the seat price.',
        confidence: 'high',
        time_range: 'week',
      },
      {
        workspace_id: WORKSPACE,
        insight_type: 'interest_signal',
        pattern: 'Questions about SSO and audit logs',
        frequency: 9,
        examples: ['Do you support Okta?'],
        confidence: 'medium',
        time_range: 'week',
      },
      {
        workspace_id: WORKSPACE,
        insight_type: 'trending_topic',
        pattern: 'Year-end budget approvals',
        frequency: 6,
        examples: ['We need to spend the budget by December'],
        confidence: 'low',
        time_range: 'today',
      },
    ],
  });
  // Past summaries: the bot's clock set back one day at a time (created_at comes from it).
  for (let day = 13; day >= 0; day--) {
    bot.clock.offset = -day * DAY;
    const wave = Math.round(6 * Math.sin(day / 2));
    await bot.store.brainSummaries.createSummary({
      workspace_id: WORKSPACE,
      summary_text:
        day === 0
          ? '41 new conversations today. Pricing questions are up after the competitor announcement; two accounts are ready for a demo and one deal may close this week.'
          : `Daily summary ${14 - day}.`,
      summary_type: 'daily',
      trigger: 'cron',
      metrics: {
        newLeadsCount: 30 + wave + (13 - day),
        hotLeadsCount: 8 + wave + Math.round((13 - day) / 3),
        warmLeadsCount: 15 - wave,
        coldLeadsCount: 10 + Math.round(day / 2),
        responseRate: 62,
        avgScore: 71,
        topQuestions: ['Is there an annual discount?', 'Do you integrate with HubSpot?'],
        rejectionReasons: ['Budget frozen until Q1', 'Chose a cheaper tool'],
      },
    });
  }
  bot.clock.offset = 0;
}

export interface ServerDocument {
  readonly id: string;
  readonly status?: string;
  readonly snoozed_until?: number;
  readonly actioned_by?: string;
  readonly _deleted: boolean;
}

/** Every document of `collection` as the server holds it, read through the pull API. */
export async function pullAll(url: string, token: string, collection = 'brainActions'): Promise<ServerDocument[]> {
  const documents: ServerDocument[] = [];
  let checkpoint: unknown = null;
  for (;;) {
    const response = await fetch(`${url}${endpoints.pull(collection)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ checkpoint, batchSize: 1000 }),
    });
    if (!response.ok) throw new Error(`pull failed: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { documents: ServerDocument[]; checkpoint: unknown };
    documents.push(...page.documents);
    if (page.documents.length < 1000) return documents;
    checkpoint = page.checkpoint;
  }
}

export { DAY, HOUR };

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const IMPACTS = ['minor', 'moderate', 'serious', 'critical'] as const;

/**
 * axe-core's violations on the page at `atLeast` impact or worse, as plain data (rule,
 * impact, the nodes' selectors). The page must accept an injected script (bypassCSP).
 */
export async function axeViolations(target: Page, atLeast: (typeof IMPACTS)[number]) {
  await target.addScriptTag({ path: AXE_PATH });
  const results = await target.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> };
      }
    ).axe;
    return axe.run(document);
  });
  const worst = IMPACTS.indexOf(atLeast);
  return results.violations
    .filter((violation) => IMPACTS.indexOf(violation.impact as (typeof IMPACTS)[number]) >= worst)
    .map((violation) => ({ id: violation.id, impact: violation.impact, targets: violation.nodes.map((node) => node.target) }));
}
