import * as z from 'zod/mini';
import type { RxCollection } from 'rxdb';
import {
  brainInsights,
  createInsightArgsSchema,
  INSIGHT_TIME_RANGES,
  INSIGHT_TYPES,
  type BrainInsight,
  type BrainInsightDocument,
  type CreateInsightArgs,
} from '../collections/brain-insights.ts';
import { descendingTime, identifier } from '../collections/fields.ts';
import { liveQuery, type LiveQuery } from './live-query.ts';
import { assertMayWrite, insertAll, limitSchema, checkArgs, type QueryContext } from './query-context.ts';

/** Largest bulkCreateInsights batch: one write transaction, bounded memory. */
export const MAX_INSIGHTS_PER_BULK = 10_000;

const bulkArgs = z.strictObject({
  insights: z.array(createInsightArgsSchema).check(z.minLength(1), z.maxLength(MAX_INSIGHTS_PER_BULK)),
});
const byWorkspaceArgs = z.strictObject({
  workspace_id: identifier(),
  insight_type: z.optional(z.enum(INSIGHT_TYPES)),
  time_range: z.optional(z.enum(INSIGHT_TIME_RANGES)),
  limit: z.optional(limitSchema(100)),
});

export interface InsightQueries {
  /** Stores an insight; returns its id. */
  createInsight(args: CreateInsightArgs): Promise<string>;
  /** Validates every insight first, then writes all or none; ids in input order. */
  bulkCreateInsights(args: { insights: CreateInsightArgs[] }): Promise<string[]>;
  /** Newest first, optionally of one type and/or time range; `limit` default 20, at most 100. */
  getInsightsByWorkspace(args: z.input<typeof byWorkspaceArgs>): LiveQuery<BrainInsight[]>;
}

export function createInsightQueries(collection: RxCollection<BrainInsightDocument>, context: QueryContext): InsightQueries {
  const toDocuments = (inputs: z.infer<typeof createInsightArgsSchema>[]): BrainInsightDocument[] => {
    const created_at = context.now();
    return inputs.map((input) => ({ ...input, id: context.newId(), created_at, created_desc: descendingTime(created_at) }));
  };

  return {
    async createInsight(args) {
      const [doc] = toDocuments([checkArgs(context, createInsightArgsSchema, args)]);
      assertMayWrite(context, brainInsights, undefined, doc!);
      await insertAll(collection, brainInsights, [doc!]);
      return doc!.id;
    },

    async bulkCreateInsights(args) {
      const { insights } = checkArgs(context, bulkArgs, args);
      const docs = toDocuments(insights);
      for (const doc of docs) assertMayWrite(context, brainInsights, undefined, doc);
      await insertAll(collection, brainInsights, docs, (index) => ['insights', index], true);
      return docs.map((doc) => doc.id);
    },

    getInsightsByWorkspace(args) {
      const { workspace_id, insight_type, time_range, limit = 20 } = checkArgs(context, byWorkspaceArgs, args);
      const selector: Record<string, string> = { workspace_id };
      const index = ['workspace_id'];
      if (insight_type !== undefined) {
        selector['insight_type'] = insight_type;
        index.push('insight_type');
      }
      if (time_range !== undefined) {
        selector['time_range'] = time_range;
        index.push('time_range');
      }
      index.push('created_desc');
      return liveQuery({
        collection,
        now: context.now,
        lifecycle: context.lifecycle,
        scheduler: context.scheduler,
        clockChanged$: context.clockChanged$,
        query: () => ({ selector, sort: [{ created_desc: 'asc' }, { id: 'asc' }], index, limit }),
        answer: (docs) => docs.map(brainInsights.toPublic),
      });
    },
  };
}
