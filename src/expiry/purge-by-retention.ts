import { normalizeMangoQuery, prepareQuery, type RxCollection, type RxDocumentData } from 'rxdb';
import type { CollectionName } from '../collections/declare-collection.ts';
import type { BrainCollections } from '../store/create-brain-store.ts';
import { storageCall } from '../queries/query-context.ts';
import { retentionCutoff, type ResolvedRetention } from './retention.ts';

/** Documents deleted per storage write: bounded memory, one transaction each. */
const CHUNK = 1_000;
export const RETENTION_WRITE_CONTEXT = 'brain-store-retention';
const TERMINAL_STATUSES = ['actioned', 'dismissed', 'expired'] as const;

export type PurgeCounts = Record<CollectionName, number>;

/**
 * Deletes (soft, `_deleted: true`) every document past its retention at `at`, reading only
 * those documents through an index: actions per terminal status on [status, status_at],
 * summaries and insights on [created_at]. An idle call costs one empty index range per
 * query. Each row is conditional on the version read (`previous`), so a document changed
 * meanwhile is skipped and reconsidered on the next run.
 */
export async function purgeByRetention(collections: BrainCollections, at: number, retention: ResolvedRetention): Promise<PurgeCounts> {
  const counts: PurgeCounts = { brainActions: 0, brainSummaries: 0, brainInsights: 0 };
  const actionsCutoff = retentionCutoff('brainActions', at, retention);
  if (actionsCutoff !== undefined) {
    for (const status of TERMINAL_STATUSES) {
      counts.brainActions += await purgeRange(collections.brainActions, {
        selector: { status, status_at: { $lt: actionsCutoff } },
        sortField: 'status_at',
        index: ['_deleted', 'status', 'status_at'],
      });
    }
  }
  for (const name of ['brainSummaries', 'brainInsights'] as const) {
    const cutoff = retentionCutoff(name, at, retention);
    if (cutoff === undefined) continue;
    counts[name] = await purgeRange(collections[name], {
      selector: { created_at: { $lt: cutoff } },
      sortField: 'created_at',
      index: ['_deleted', 'created_at'],
    });
  }
  return counts;
}

interface Range {
  readonly selector: Record<string, unknown>;
  /** The index field after the equality prefix: the sort follows the index, so no sort step. */
  readonly sortField: string;
  readonly index: string[];
}

/** The three collections differ in type only; this code reads index fields every one declares. */
async function purgeRange(collection: RxCollection, range: Range): Promise<number> {
  const storage = collection.storageInstance;
  const schema = collection.schema.jsonSchema;
  let purged = 0;
  for (;;) {
    const query = prepareQuery(
      schema,
      normalizeMangoQuery(schema, {
        selector: { _deleted: { $eq: false }, ...range.selector },
        sort: [{ [range.sortField]: 'asc' }, { id: 'asc' }],
        index: range.index,
        limit: CHUNK,
      }),
    );
    const { documents } = await storageCall(() => storage.query(query));
    if (documents.length === 0) return purged;
    const rows = documents.map((previous: RxDocumentData<{ id: string }>) => ({ previous, document: { ...previous, _deleted: true } }));
    const result = await storageCall(() => storage.bulkWrite(rows, RETENTION_WRITE_CONTEXT));
    purged += documents.length - result.error.length;
    // Every remaining row conflicted (changed concurrently): leave them to the next run.
    if (documents.length < CHUNK || result.error.length === documents.length) return purged;
  }
}
