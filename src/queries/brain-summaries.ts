import * as z from 'zod/mini';
import type { RxCollection } from 'rxdb';
import {
  brainSummaries,
  createSummaryArgsSchema,
  SUMMARY_TYPES,
  type BrainSummary,
  type BrainSummaryDocument,
  type CreateSummaryArgs,
} from '../collections/brain-summaries.ts';
import { DAY_MS, descendingTime, identifier } from '../collections/fields.ts';
import { liveQuery, type LiveQuery } from './live-query.ts';
import { assertMayWrite, insertAll, limitSchema, checkArgs, type QueryContext } from './query-context.ts';

const latestArgs = z.strictObject({ workspace_id: identifier() });
const byWorkspaceArgs = z.strictObject({
  workspace_id: identifier(),
  summary_type: z.optional(z.enum(SUMMARY_TYPES)),
  limit: z.optional(limitSchema(100)),
});
const recentArgs = z.strictObject({ workspace_id: identifier(), days: z.optional(z.number().check(z.positive(), z.maximum(3650))) });

export interface SummaryQueries {
  /** Stores a summary; `created_at` is now. Returns the new id. */
  createSummary(args: CreateSummaryArgs): Promise<string>;
  /** The newest summary of the workspace, or null. */
  getLatestSummary(args: z.input<typeof latestArgs>): LiveQuery<BrainSummary | null>;
  /** Newest first; `limit` default 10, at most 100. */
  getSummariesByWorkspace(args: z.input<typeof byWorkspaceArgs>): LiveQuery<BrainSummary[]>;
  /** Summaries created within the last `days` (default 1) by the store's clock, newest first. */
  getRecentSummaries(args: z.input<typeof recentArgs>): LiveQuery<BrainSummary[]>;
}

export function createSummaryQueries(collection: RxCollection<BrainSummaryDocument>, context: QueryContext): SummaryQueries {
  const toPublic = (docs: BrainSummaryDocument[]) => docs.map(brainSummaries.toPublic);
  const newestFirst = (workspace_id: string, summary_type?: string) => ({
    selector: (summary_type === undefined ? { workspace_id } : { workspace_id, summary_type }) as Record<string, unknown>,
    sort: [{ created_desc: 'asc' as const }, { id: 'asc' as const }],
    index: summary_type === undefined ? ['workspace_id', 'created_desc'] : ['workspace_id', 'summary_type', 'created_desc'],
  });

  return {
    async createSummary(args) {
      const input = checkArgs(context, createSummaryArgsSchema, args);
      const created_at = context.now();
      const doc: BrainSummaryDocument = {
        ...input,
        id: context.newId(),
        created_at,
        created_desc: descendingTime(created_at),
      };
      assertMayWrite(context, brainSummaries, undefined, doc);
      await insertAll(collection, brainSummaries, [doc]);
      return doc.id;
    },

    getLatestSummary(args) {
      const { workspace_id } = checkArgs(context, latestArgs, args);
      return liveQuery({
        collection,
        now: context.now,
        lifecycle: context.lifecycle,
        scheduler: context.scheduler,
        clockChanged$: context.clockChanged$,
        query: () => ({ ...newestFirst(workspace_id), limit: 1 }),
        answer: (docs) => (docs[0] ? brainSummaries.toPublic(docs[0]) : null),
      });
    },

    getSummariesByWorkspace(args) {
      const { workspace_id, summary_type, limit = 10 } = checkArgs(context, byWorkspaceArgs, args);
      return liveQuery({
        collection,
        now: context.now,
        lifecycle: context.lifecycle,
        scheduler: context.scheduler,
        clockChanged$: context.clockChanged$,
        query: () => ({ ...newestFirst(workspace_id, summary_type), limit }),
        answer: toPublic,
      });
    },

    getRecentSummaries(args) {
      const { workspace_id, days = 1 } = checkArgs(context, recentArgs, args);
      const windowMs = days * DAY_MS;
      return liveQuery({
        collection,
        now: context.now,
        lifecycle: context.lifecycle,
        scheduler: context.scheduler,
        clockChanged$: context.clockChanged$,
        query: (at) => {
          const base = newestFirst(workspace_id);
          // created_at >= at - window  ⇔  created_desc <= MAX_TIME - (at - window)
          const cutoff = descendingTime(Math.max(0, Math.ceil(at - windowMs)));
          return { ...base, selector: { ...base.selector, created_desc: { $lte: cutoff } } };
        },
        answer: toPublic,
        // The oldest summary in the answer leaves the window at created_at + window.
        changesAt: (docs) => {
          const oldest = docs[docs.length - 1];
          return oldest ? oldest.created_at + windowMs + 1 : undefined;
        },
      });
    },
  };
}
