import { getComposedPrimaryKeyOfDocumentData, type RxCollection } from 'rxdb';
import type { RxReplicationState } from 'rxdb/plugins/replication';
import type { UnacknowledgedCheck } from '../store/unacknowledged-writes.ts';

/**
 * A replication's answer to "has the server acknowledged this document's current state?",
 * read from RxDB's replication meta data: for each document it keeps the state it assumes the
 * server holds (written when a push is accepted and when a pull lands), persisted with the
 * store, so writes made before a restart are judged as well as this session's. A document
 * whose stored state differs from that assumed master state has a change still to push.
 *
 * Before the replication has started (waiting for leadership, or just created) nothing can be
 * judged: every document counts as unacknowledged, and the purge tries again on its next run.
 */
export function unacknowledgedByReplication<Checkpoint>(
  replication: RxReplicationState<Record<string, unknown>, Checkpoint>,
  collection: RxCollection<Record<string, unknown>>,
): UnacknowledgedCheck {
  const key = collection.schema.primaryPath;
  return async (docs) => {
    const ids = docs.map((doc) => doc[key] as string);
    const meta = replication.metaInstance;
    if (!meta || replication.isStopped()) return new Set(ids);
    const metaIds = ids.map((id) => getComposedPrimaryKeyOfDocumentData(meta.schema, { itemId: id, isCheckpoint: '0' }));
    const rows = await meta.findDocumentsById(metaIds, true);
    const assumed = new Map(rows.map((row) => [row.itemId, row.docData as Record<string, unknown> | undefined]));
    const pending = new Set<string>();
    docs.forEach((doc, index) => {
      const master = assumed.get(ids[index]!);
      // `isEqual` ignores RxDB's bookkeeping fields (_meta, _rev, _attachments).
      if (!master || !collection.conflictHandler.isEqual(master as never, doc as never, 'brain-store-retention')) pending.add(ids[index]!);
    });
    return pending;
  };
}
