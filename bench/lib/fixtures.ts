/**
 * Deterministic documents for benchmarks, built with the same fields and derived sort keys
 * the store's own write functions produce, so they satisfy the schema and its invariants
 * and can be bulk-inserted through `store.database` for fast seeding.
 */
import { v7 as uuidv7 } from 'uuid';
import {
  ACTION_TYPES,
  ACTION_URGENCIES,
  INSIGHT_CONFIDENCES,
  INSIGHT_TIME_RANGES,
  INSIGHT_TYPES,
  SUMMARY_TRIGGERS,
  SUMMARY_TYPES,
  type CreateInsightArgs,
} from '../../src/index.ts';
import type { BrainActionDocument } from '../../src/collections/brain-actions.ts';
import type { BrainSummaryDocument } from '../../src/collections/brain-summaries.ts';
import type { BrainInsightDocument } from '../../src/collections/brain-insights.ts';
import { DAY_MS, descendingTime } from '../../src/collections/fields.ts';
import { seededRandom } from '../../harness/seeded-random.ts';

/** A UUIDv7 for `msecs` with seeded randomness (uuid's own calls getRandomValues per id: slow and not repeatable). */
function timeOrderedId(random: () => number, msecs: number): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256);
  return uuidv7({ msecs, random: bytes, seq: 0 });
}

const pick = <T>(random: () => number, values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
const int = (random: () => number, maxInclusive: number) => Math.floor(random() * (maxInclusive + 1));

export interface ActionSeed {
  readonly workspace_id: string;
  /** The newest created_at; document i is created at newest - i ms. */
  readonly newest: number;
  readonly priority?: (random: () => number, index: number) => number;
  readonly seed?: number;
}

/** `count` pending actions as createActionRecommendation would store them (expires in 24 h). */
export function pendingActions(count: number, options: ActionSeed): BrainActionDocument[] {
  const random = seededRandom(options.seed ?? 1);
  const priorityOf = options.priority ?? ((r) => int(r, 100));
  const docs: BrainActionDocument[] = [];
  for (let i = 0; i < count; i++) {
    const created_at = options.newest - i;
    docs.push(actionDocument(random, options.workspace_id, priorityOf(random, i), created_at));
  }
  return docs;
}

function actionDocument(random: () => number, workspace_id: string, priority: number, created_at: number): BrainActionDocument {
  return {
    id: timeOrderedId(random, created_at),
    workspace_id,
    contact_id: `contact-${int(random, 50_000)}`,
    action_type: pick(random, ACTION_TYPES),
    priority,
    urgency: pick(random, ACTION_URGENCIES),
    reason: `Lead asked about pricing ${int(random, 9)} times; last reply ${int(random, 48)} h ago.`,
    suggested_message: 'Hi! Following up on your question about our plans — happy to walk you through them.',
    status: 'pending',
    status_at: created_at,
    created_at,
    expires_at: created_at + DAY_MS,
    snoozed_until: 0,
    priority_rank: 100 - priority,
    created_desc: descendingTime(created_at),
  };
}

/** Arguments for bulkCreateInsights (what the bot sends). */
export function insightArgs(count: number, workspace_id: string, seed = 2): CreateInsightArgs[] {
  const random = seededRandom(seed);
  const args: CreateInsightArgs[] = [];
  for (let i = 0; i < count; i++) {
    args.push({
      workspace_id,
      insight_type: pick(random, INSIGHT_TYPES),
      pattern: `Leads mention competitor pricing (${int(random, 999)})`,
      frequency: int(random, 500),
      examples: ['Is it cheaper than X?', 'X gives a discount for annual plans'],
      recommendation: 'Send the annual-plan comparison sheet.',
      confidence: pick(random, INSIGHT_CONFIDENCES),
      time_range: pick(random, INSIGHT_TIME_RANGES),
    });
  }
  return args;
}

/** The stored form of insight arguments, as bulkCreateInsights builds it. */
export function insightDocuments(args: readonly CreateInsightArgs[], created_at: number, seed = 4): BrainInsightDocument[] {
  const random = seededRandom(seed);
  return args.map((input) => ({
    ...(input as Omit<BrainInsightDocument, 'id' | 'created_at' | 'created_desc'>),
    id: timeOrderedId(random, created_at),
    created_at,
    created_desc: descendingTime(created_at),
  }));
}

/** `count` summaries of one workspace, one per minute back from `newest`. */
export function summaryDocuments(count: number, workspace_id: string, newest: number, seed = 3): BrainSummaryDocument[] {
  const random = seededRandom(seed);
  const docs: BrainSummaryDocument[] = [];
  for (let i = 0; i < count; i++) {
    const created_at = newest - i * 60_000;
    docs.push({
      id: timeOrderedId(random, created_at),
      workspace_id,
      summary_text: `Day summary ${i}: ${int(random, 40)} new leads, pricing questions dominate; two hot leads ready for handoff.`,
      summary_type: pick(random, SUMMARY_TYPES),
      trigger: pick(random, SUMMARY_TRIGGERS),
      metrics: {
        newLeadsCount: int(random, 40),
        hotLeadsCount: int(random, 5),
        warmLeadsCount: int(random, 10),
        coldLeadsCount: int(random, 20),
      },
      created_at,
      created_desc: descendingTime(created_at),
    });
  }
  return docs;
}
