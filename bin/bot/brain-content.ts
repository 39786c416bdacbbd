/**
 * What the bot writes: summaries, insights and action recommendations that read like a
 * sales team's week. The words come from faker (seeded, so a run can be repeated); only the
 * store's own enums are picked here, weighted the way a real queue looks (few immediates).
 */
import type { Faker } from '@faker-js/faker';
import {
  ACTION_TYPES,
  INSIGHT_CONFIDENCES,
  INSIGHT_TYPES,
  type ActionUrgency,
  type CreateActionArgs,
  type CreateInsightArgs,
  type CreateSummaryArgs,
} from '../../src/index.ts';

/** Priority bands per urgency: an immediate action outranks a this-week one. */
const PRIORITY_BY_URGENCY: Readonly<Record<ActionUrgency, readonly [number, number]>> = {
  immediate: [80, 100],
  today: [50, 89],
  this_week: [10, 59],
};
const HOUR_MS = 3_600_000;

export function actionArgs(faker: Faker, workspace_id: string, now: number): CreateActionArgs {
  const urgency = faker.helpers.weightedArrayElement<ActionUrgency>([
    { weight: 2, value: 'immediate' },
    { weight: 5, value: 'today' },
    { weight: 3, value: 'this_week' },
  ]);
  const [min, max] = PRIORITY_BY_URGENCY[urgency];
  const action_type = faker.helpers.arrayElement(ACTION_TYPES);
  const first = faker.person.firstName();
  const company = faker.company.name();
  const product = faker.commerce.productName();
  const reason = {
    follow_up: `${first} at ${company} asked about ${product} pricing and went quiet`,
    response_template: `${first} raised "${faker.company.buzzPhrase()}" — reply with the objection template`,
    handoff_ready: `${first} (${faker.person.jobTitle()}, ${company}) wants a call about ${product}`,
    opportunity_alert: `${company} budget of ${faker.finance.amount({ min: 2_000, max: 90_000, dec: 0, symbol: '$' })} approved for ${product}`,
  }[action_type];
  return {
    workspace_id,
    contact_id: `c-${faker.string.alphanumeric({ length: 8, casing: 'lower' })}`,
    action_type,
    priority: faker.number.int({ min, max }),
    urgency,
    reason,
    ...(faker.datatype.boolean(0.8)
      ? { suggested_message: `Hi ${first}, ${faker.company.catchPhrase().toLowerCase()} — ${faker.commerce.productDescription()}` }
      : {}),
    // Immediate actions go stale within hours; the rest keep the default 24 h.
    ...(urgency === 'immediate' ? { expires_at: now + faker.number.int({ min: 1, max: 6 }) * HOUR_MS } : {}),
  };
}

export function summaryArgs(faker: Faker, workspace_id: string, summary_type: CreateSummaryArgs['summary_type']): CreateSummaryArgs {
  const hot = faker.number.int({ min: 0, max: 15 });
  const warm = faker.number.int({ min: 0, max: 30 });
  const cold = faker.number.int({ min: 0, max: 40 });
  const topic = faker.commerce.productName();
  return {
    workspace_id,
    summary_text: `${hot + warm + cold} new leads: ${hot} hot, ${warm} warm, ${cold} cold. Most questions were about ${topic}; ${faker.company.catchPhrase().toLowerCase()}.`,
    summary_type,
    trigger: 'cron',
    triggered_by: 'brain-store bot',
    metrics: {
      newLeadsCount: hot + warm + cold,
      hotLeadsCount: hot,
      warmLeadsCount: warm,
      coldLeadsCount: cold,
      responseRate: faker.number.int({ min: 20, max: 95 }),
      avgScore: faker.number.int({ min: 30, max: 90 }),
      topQuestions: faker.helpers.multiple(() => `Does ${faker.commerce.productName()} ${faker.hacker.verb()} ${faker.hacker.noun()}s?`, {
        count: { min: 1, max: 4 },
      }),
      rejectionReasons: faker.helpers.multiple(() => faker.company.buzzPhrase(), { count: { min: 0, max: 3 } }),
    },
    tokens_used: faker.number.int({ min: 800, max: 6_000 }),
    cost_usd: faker.number.float({ min: 0.005, max: 0.2, fractionDigits: 3 }),
  };
}

export function insightArgs(faker: Faker, workspace_id: string): CreateInsightArgs {
  return {
    workspace_id,
    insight_type: faker.helpers.arrayElement(INSIGHT_TYPES),
    pattern: `${faker.commerce.productName()}: ${faker.company.buzzPhrase()}`,
    frequency: faker.number.int({ min: 2, max: 40 }),
    examples: faker.helpers.multiple(() => `"${faker.company.catchPhrase()}" — ${faker.person.firstName()}`, { count: { min: 1, max: 3 } }),
    ...(faker.datatype.boolean(0.7)
      ? {
          recommendation: `Lead with ${faker.commerce.productAdjective().toLowerCase()} ${faker.commerce.product().toLowerCase()} examples`,
        }
      : {}),
    confidence: faker.helpers.arrayElement(INSIGHT_CONFIDENCES),
    time_range: 'today',
  };
}

/** The bulk of insights written after each summary. */
export function insightBatch(faker: Faker, workspace_id: string): CreateInsightArgs[] {
  return faker.helpers.multiple(() => insightArgs(faker, workspace_id), { count: { min: 3, max: 6 } });
}
