import type { RxCollection } from 'rxdb';
import type { BrainActionDocument } from '../collections/brain-actions.ts';
import { rewriteIndexRange } from './rewrite-index-range.ts';

export const EXPIRY_WRITE_CONTEXT = 'brain-store-expiry';

/**
 * Marks every pending action with `expires_at <= at` as expired, reading only the due
 * actions through the [status, expires_at] index. The write is deterministic — status_at
 * is the action's own expires_at, not the time the cleanup ran — so every replica that
 * expires the same action writes the same fields. Each row is conditional on the version
 * read (`previous`): an action actioned meanwhile is left alone (a 409, skipped).
 * Returns how many actions this call expired.
 */
export function expireDueActions(collection: RxCollection<BrainActionDocument>, at: number): Promise<number> {
  return rewriteIndexRange(collection, {
    selector: { status: 'pending', expires_at: { $lte: at } },
    sortField: 'expires_at',
    index: ['_deleted', 'status', 'expires_at'],
    rewrite: (previous) => ({ ...previous, status: 'expired' as const, status_at: previous.expires_at }),
    context: EXPIRY_WRITE_CONTEXT,
  });
}
