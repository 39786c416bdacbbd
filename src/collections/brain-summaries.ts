import * as z from 'zod/mini';
import { oneOf, count, identifier, nonNegative, text, timestamp } from './fields.ts';
import { appendOnlyRules, toRxJsonSchema, type CollectionDeclaration } from './declare-collection.ts';
import { GENERATED_JSON_SCHEMAS } from './json-schemas.generated.ts';
import { checkFirstSyncParts } from './first-sync-parts.ts';
import { appendOnlyRetention } from './retention-rule.ts';

export const SUMMARY_TYPES = ['daily', 'manual', 'scheduled'] as const;
export const SUMMARY_TRIGGERS = ['cron', 'command', 'api'] as const;

export const summaryMetricsSchema = z.strictObject({
  newLeadsCount: count(),
  hotLeadsCount: count(),
  warmLeadsCount: count(),
  coldLeadsCount: count(),
  responseRate: z.optional(nonNegative(100)),
  avgScore: z.optional(nonNegative(100)),
  topQuestions: z.optional(z.array(text(1_000)).check(z.maxLength(100))),
  rejectionReasons: z.optional(z.array(text(1_000)).check(z.maxLength(100))),
});

/** What a caller passes to createSummary. */
export const createSummaryArgsSchema = z.strictObject({
  workspace_id: identifier(),
  summary_text: text(50_000),
  summary_type: oneOf(SUMMARY_TYPES),
  trigger: oneOf(SUMMARY_TRIGGERS),
  triggered_by: z.optional(text(256)),
  metrics: summaryMetricsSchema,
  tokens_used: z.optional(count()),
  cost_usd: z.optional(nonNegative(1_000_000)),
});

/** A stored summary: the arguments plus id, created_at and the newest-first sort key. */
export const brainSummaryDocumentSchema = z.extend(createSummaryArgsSchema, {
  id: identifier(),
  created_at: timestamp(),
  created_desc: timestamp(),
});

export type CreateSummaryArgs = z.input<typeof createSummaryArgsSchema>;
export type SummaryMetrics = z.infer<typeof summaryMetricsSchema>;
export type BrainSummaryDocument = z.infer<typeof brainSummaryDocumentSchema>;
export type BrainSummary = Omit<BrainSummaryDocument, 'created_desc'>;
export type SummaryType = (typeof SUMMARY_TYPES)[number];

export const brainSummaries: CollectionDeclaration<BrainSummaryDocument, BrainSummary> = {
  name: 'brainSummaries',
  document: brainSummaryDocumentSchema,
  // Derived from `document` at build time (packages/generate-json-schemas.ts).
  jsonSchema: toRxJsonSchema(GENERATED_JSON_SCHEMAS.brainSummaries, {
    title: 'brainSummaries',
    version: 0,
    indexes: [['workspace_id', 'created_desc'], ['workspace_id', 'summary_type', 'created_desc'], ['created_at']],
  }),
  migrationStrategies: {},
  // Summaries are append-only: a conflicting edit keeps the server's version.
  ...appendOnlyRules<BrainSummaryDocument>(),
  // The latest summary is on the dashboard's first screen.
  firstSync: checkFirstSyncParts([
    {
      name: 'latest',
      where: {},
      order: [{ field: 'created_at', direction: 'desc', type: 'number' }],
      // The workspace's index (created_desc = MAX_TIME - created_at).
      localSort: [{ field: 'created_desc', direction: 'asc' }],
      limit: 20,
    },
  ]),
  retention: appendOnlyRetention('summariesMs'),
};
