/**
 * Seeds a store with pending actions of which every tenth (or none) is already due at the
 * store's clock, with the fields createActionRecommendation would store.
 */
import { pendingActions } from '../lib/fixtures.ts';
import type { BrainActionDocument } from '../../src/collections/brain-actions.ts';

const WORKSPACE = 'w-expiry';

/**
 * `count` pending actions created in the minute before `now`; `dueEvery` > 0 makes every
 * `dueEvery`-th one due (expires_at before `now`, spread over distinct instants), the
 * others expire 24 h after creation.
 */
export function actionsWithDue(count: number, now: number, dueEvery: number, seed = 31): BrainActionDocument[] {
  const docs = pendingActions(count, { workspace_id: WORKSPACE, newest: now - 60_000, seed });
  if (dueEvery <= 0) return docs;
  return docs.map((doc, index) => (index % dueEvery === 0 ? { ...doc, expires_at: now - 1_000 - index } : doc));
}
