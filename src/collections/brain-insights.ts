import * as z from 'zod/mini';
import { oneOf, count, identifier, text, timestamp } from './fields.ts';
import { appendOnlyRules, toRxJsonSchema, type CollectionDeclaration } from './declare-collection.ts';
import { GENERATED_JSON_SCHEMAS } from './json-schemas.generated.ts';
import { appendOnlyRetention } from './retention-rule.ts';

export const INSIGHT_TYPES = ['trending_topic', 'objection_pattern', 'interest_signal', 'rejection_analysis'] as const;
export const INSIGHT_CONFIDENCES = ['high', 'medium', 'low'] as const;
export const INSIGHT_TIME_RANGES = ['today', 'week', 'month'] as const;

export const createInsightArgsSchema = z.strictObject({
  workspace_id: identifier(),
  insight_type: oneOf(INSIGHT_TYPES),
  pattern: text(2_000),
  frequency: count(),
  examples: z.array(text(2_000)).check(z.maxLength(100)),
  recommendation: z.optional(text(4_000)),
  confidence: oneOf(INSIGHT_CONFIDENCES),
  time_range: oneOf(INSIGHT_TIME_RANGES),
});

export const brainInsightDocumentSchema = z.extend(createInsightArgsSchema, {
  id: identifier(),
  created_at: timestamp(),
  created_desc: timestamp(),
});

export type CreateInsightArgs = z.input<typeof createInsightArgsSchema>;
export type BrainInsightDocument = z.infer<typeof brainInsightDocumentSchema>;
export type BrainInsight = Omit<BrainInsightDocument, 'created_desc'>;
export type InsightType = (typeof INSIGHT_TYPES)[number];
export type InsightTimeRange = (typeof INSIGHT_TIME_RANGES)[number];

export const brainInsights: CollectionDeclaration<BrainInsightDocument, BrainInsight> = {
  name: 'brainInsights',
  document: brainInsightDocumentSchema,
  // Derived from `document` at build time (packages/generate-json-schemas.ts).
  jsonSchema: toRxJsonSchema(GENERATED_JSON_SCHEMAS.brainInsights, {
    title: 'brainInsights',
    version: 0,
    // One index per filter combination of getInsightsByWorkspace, each ending in the sort key.
    indexes: [
      ['workspace_id', 'created_desc'],
      ['workspace_id', 'insight_type', 'created_desc'],
      ['workspace_id', 'time_range', 'created_desc'],
      ['workspace_id', 'insight_type', 'time_range', 'created_desc'],
      ['created_at'],
    ],
  }),
  migrationStrategies: {},
  // Insights are append-only: a conflicting edit keeps the server's version.
  ...appendOnlyRules<BrainInsightDocument>(),
  // Nothing ahead of the rest, which comes newest first.
  firstSync: [],
  retention: appendOnlyRetention('insightsMs'),
};
