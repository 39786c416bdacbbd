import type { RxCollection } from 'rxdb';
import type { CollectionName } from '../collections/declare-collection.ts';
import { storageCall } from '../queries/query-context.ts';
import type { BrainDatabase } from '../store/create-brain-store.ts';
import { replicationsOf } from '../store/unacknowledged-writes.ts';

/**
 * Physically removes the collection's tombstones (documents deleted locally, by a purge or
 * pulled from the server), so a long-lived client does not keep one row per purged document.
 *
 * Why the storage call rather than RxDB's cleanup plugin (`collection.cleanup(0)`): adding
 * that plugin is global — every collection of every database opened afterwards starts its
 * own background cleanup loop with its own timers — and its cleanup blocks until every
 * replication is in sync, which never happens while offline and would stall the expiry
 * queue. This is the same `storageInstance.cleanup(minimumDeletedTime)` the plugin calls.
 *
 * The trade-off of `minimumDeletedTime = 0`: a tombstone removed before the replication has
 * read it is never pushed. That is what we want for retention purges (their deletes must
 * not travel upstream anyway), but it would also swallow a delete the server needs, or the
 * last state of a document the server never saw (e.g. actioned offline more than a
 * retention ago). So when the collection has a running replication we first wait until it
 * is in sync — see `needsReplicationWait` — and otherwise (no replication) remove at once.
 */
export async function removeTombstones(collection: RxCollection): Promise<void> {
  await Promise.all(activeReplications(collection).map((replication) => replication.awaitInSync()));
  if (collection.closed) return;
  // cleanup() removes a bounded batch and answers whether it is done.
  while (!(await storageCall(() => collection.storageInstance.cleanup(0)))) {
    if (collection.closed) return;
  }
}

/** Whether removeTombstones must wait for a replication (and so must not block the run queue). */
export function needsReplicationWait(collection: RxCollection): boolean {
  return activeReplications(collection).length > 0;
}

/** The replications registered with the store (replicateBrainStore registers each of its collections'). */
function activeReplications(collection: RxCollection) {
  return replicationsOf(collection.database as unknown as BrainDatabase, collection.name as CollectionName);
}
