import { normalizeMangoQuery, prepareQuery, type RxCollection, type RxDocumentData } from 'rxdb';
import type { BrainActionDocument } from '../collections/brain-actions.ts';
import { storageCall } from './query-context.ts';

/** Documents expired per storage write: bounded memory, one transaction each. */
const CHUNK = 1_000;
export const EXPIRY_WRITE_CONTEXT = 'brain-store-expiry';

/**
 * Marks every pending action with `expires_at <= at` as expired, reading only the due
 * actions through the [status, expires_at] index. The write is deterministic — status_at
 * is the action's own expires_at, not the time the cleanup ran — so every replica that
 * expires the same action writes the same fields. Each row is conditional on the version
 * read (`previous`): an action actioned meanwhile is left alone (a 409, skipped).
 * Returns how many actions this call expired.
 */
export async function expireDueActions(collection: RxCollection<BrainActionDocument>, at: number): Promise<number> {
  const storage = collection.storageInstance;
  const schema = collection.schema.jsonSchema;
  let expired = 0;
  for (;;) {
    const query = prepareQuery(
      schema,
      normalizeMangoQuery<RxDocumentData<BrainActionDocument>>(schema, {
        selector: { _deleted: { $eq: false }, status: 'pending', expires_at: { $lte: at } },
        sort: [{ expires_at: 'asc' }, { id: 'asc' }],
        index: ['_deleted', 'status', 'expires_at'],
        limit: CHUNK,
      }),
    );
    const { documents } = await storageCall(() => storage.query(query));
    if (documents.length === 0) return expired;
    const rows = documents.map((previous: RxDocumentData<BrainActionDocument>) => ({
      previous,
      document: { ...previous, status: 'expired' as const, status_at: previous.expires_at },
    }));
    const result = await storageCall(() => storage.bulkWrite(rows, EXPIRY_WRITE_CONTEXT));
    expired += documents.length - result.error.length;
    // Every remaining due action conflicted (changed concurrently): the next call sees its new state.
    if (documents.length < CHUNK || result.error.length === documents.length) return expired;
  }
}
