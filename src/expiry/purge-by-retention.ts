import type { RxCollection } from 'rxdb';
import type { CollectionName } from '../collections/declare-collection.ts';
import type { BrainCollections } from '../store/create-brain-store.ts';
import { rewriteIndexRange } from '../queries/rewrite-index-range.ts';
import { retentionCutoff, retentionRule, type ResolvedRetention } from '../collections/retention.ts';
import type { RetentionGuard } from '../store/unacknowledged-writes.ts';

export const RETENTION_WRITE_CONTEXT = 'brain-store-retention';

export type PurgeCounts = Record<CollectionName, number>;

const NAMES: readonly CollectionName[] = ['brainActions', 'brainSummaries', 'brainInsights'];

/**
 * Deletes (soft, `_deleted: true`) every document past its retention at `at`, reading only
 * those documents through an index, as each collection's declared rule says: per purgeable
 * status on [status, since] (actions: [status, status_at]), else on [since] (summaries and
 * insights: [created_at]). An idle call costs one empty index range per query. Each row is
 * conditional on the version read (`previous`), so a document changed meanwhile is skipped
 * and reconsidered on the next run.
 *
 * With a `guard`, a document whose latest local change the server has not acknowledged is
 * left alone (issue 11.3: its delete would never be pushed, so the change would be lost); it
 * is purged by a run after the server has it.
 */
export async function purgeByRetention(
  collections: BrainCollections,
  at: number,
  retention: ResolvedRetention,
  guard?: RetentionGuard,
): Promise<PurgeCounts> {
  const counts: PurgeCounts = { brainActions: 0, brainSummaries: 0, brainInsights: 0 };
  for (const name of NAMES) {
    const cutoff = retentionCutoff(name, at, retention);
    if (cutoff === undefined || (guard && !(await guard.mayPurge(name)))) continue;
    const { since, statuses } = retentionRule(name);
    const keep = guard ? { keep: (docs: readonly Record<string, unknown>[]) => guard.unacknowledged(name, docs) } : {};
    const ranges = statuses
      ? statuses.map((status) => ({ selector: { status, [since]: { $lt: cutoff } }, index: ['_deleted', 'status', since] }))
      : [{ selector: { [since]: { $lt: cutoff } }, index: ['_deleted', since] }];
    for (const range of ranges) counts[name] += await purgeRange(collections[name], { ...range, sortField: since, ...keep });
  }
  return counts;
}

/** The three collections differ in type only; this code reads index fields every one declares. */
function purgeRange(
  collection: RxCollection,
  range: {
    selector: Record<string, unknown>;
    sortField: string;
    index: string[];
    keep?: (docs: readonly Record<string, unknown>[]) => Promise<ReadonlySet<string>>;
  },
): Promise<number> {
  return rewriteIndexRange(collection, {
    ...range,
    rewrite: (previous) => ({ ...previous, _deleted: true }),
    context: RETENTION_WRITE_CONTEXT,
  });
}
