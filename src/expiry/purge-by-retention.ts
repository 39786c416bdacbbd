import type { RxCollection } from 'rxdb';
import type { CollectionName } from '../collections/declare-collection.ts';
import type { BrainCollections } from '../store/create-brain-store.ts';
import { rewriteIndexRange } from '../queries/rewrite-index-range.ts';
import { retentionCutoff, type ResolvedRetention } from '../collections/retention.ts';
import type { RetentionGuard } from '../store/unacknowledged-writes.ts';

export const RETENTION_WRITE_CONTEXT = 'brain-store-retention';
const TERMINAL_STATUSES = ['actioned', 'dismissed', 'expired'] as const;

export type PurgeCounts = Record<CollectionName, number>;

/**
 * Deletes (soft, `_deleted: true`) every document past its retention at `at`, reading only
 * those documents through an index: actions per terminal status on [status, status_at],
 * summaries and insights on [created_at]. An idle call costs one empty index range per
 * query. Each row is conditional on the version read (`previous`), so a document changed
 * meanwhile is skipped and reconsidered on the next run.
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
  const keepFor = (name: CollectionName) =>
    guard ? { keep: (docs: readonly Record<string, unknown>[]) => guard.unacknowledged(name, docs) } : {};
  const actionsCutoff = retentionCutoff('brainActions', at, retention);
  if (actionsCutoff !== undefined && (!guard || (await guard.mayPurge('brainActions')))) {
    for (const status of TERMINAL_STATUSES) {
      counts.brainActions += await purgeRange(collections.brainActions, {
        selector: { status, status_at: { $lt: actionsCutoff } },
        sortField: 'status_at',
        index: ['_deleted', 'status', 'status_at'],
        ...keepFor('brainActions'),
      });
    }
  }
  for (const name of ['brainSummaries', 'brainInsights'] as const) {
    const cutoff = retentionCutoff(name, at, retention);
    if (cutoff === undefined || (guard && !(await guard.mayPurge(name)))) continue;
    counts[name] = await purgeRange(collections[name], {
      selector: { created_at: { $lt: cutoff } },
      sortField: 'created_at',
      index: ['_deleted', 'created_at'],
      ...keepFor(name),
    });
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
