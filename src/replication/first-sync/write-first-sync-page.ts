import type { BulkWriteRow, RxCollection, RxStorageInstance } from 'rxdb';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import type { WireDocument } from '../../protocol/messages.ts';

/**
 * The context of a first sync's storage writes. It starts with RxDB's downstream prefix so
 * that whatever tells local edits from pulled documents (the pending-writes tracker, RxDB's
 * upstream) counts these as pulled.
 */
export const FIRST_SYNC_CONTEXT = 'replication-downstream-first-sync';

/** How RxDB's replication protocol recognises a document as the server's, unchanged since. */
export interface ServerOrigin {
  /** RxDB's hash of the replication identifier (`'rxdbreplication' + replicationIdentifier`). */
  readonly hash: string;
  /** Every first-sync document's last-write time: below any local write's. */
  readonly lwt: number;
  /** The database's token, as RxDB writes it into a first revision. */
  readonly token: string;
}

/** The storage instance under RxDB's collection wrapper, which would replace `_meta` and `_rev`. */
export function storageBelowCollection(
  collection: RxCollection<Record<string, unknown>>,
): RxStorageInstance<Record<string, unknown>, unknown, unknown> {
  const wrapped = collection.storageInstance as unknown as {
    originalStorageInstance?: RxStorageInstance<Record<string, unknown>, unknown, unknown>;
  };
  return wrapped.originalStorageInstance ?? collection.storageInstance;
}

/**
 * Stores a page as the server sent it (its documents completed in place), with no replication
 * bookkeeping: each document is an insert at revision 1 that names the replication as its
 * origin (`_meta.o`), which is what RxDB's downstream checks to treat a local document
 * without an assumed master as the server's (so a later pull may overwrite it), and whose
 * last-write time lies before the upstream checkpoint handed to RxDB (so it is never pushed
 * back). A document that exists
 * already is kept as it is: a local write made during the first sync (its revision moved on,
 * so RxDB pushes it and the server's conflict rule decides), or a copy from an earlier part.
 * Returns how many documents were new.
 */
export async function writeFirstSyncPage(
  collection: RxCollection<Record<string, unknown>>,
  documents: readonly WireDocument[],
  origin: ServerOrigin,
): Promise<number> {
  if (documents.length === 0) return 0;
  const meta = { lwt: origin.lwt, o: { _rev: 1, hash: origin.hash } };
  const revision = `1-${origin.token}`;
  // The page's documents are the first sync's own (parsed from the answer): completed in place,
  // not copied — a copy of every document of a page doubled what a page leaves to the collector
  // (measured: 200k actions into SQLite peaked at 418–487 MB RSS with copies, 215 MB without).
  const rows: BulkWriteRow<Record<string, unknown>>[] = documents.map((doc) => {
    const row = doc as Record<string, unknown>;
    row['_deleted'] = false;
    row['_attachments'] = {};
    row['_rev'] = revision;
    row['_meta'] = meta;
    return { document: row as never };
  });
  const instance = storageBelowCollection(collection);
  const result = await collection.database.lockedRun(() => instance.bulkWrite(rows, FIRST_SYNC_CONTEXT));
  const failed = result.error.find((error) => error.status !== 409);
  if (failed) {
    throw new BrainStoreError('STORAGE', {
      message: `a first-sync document could not be stored (${failed.status})`,
      parameters: { collection: collection.name, id: failed.documentId, status: failed.status },
      cause: failed,
    });
  }
  return documents.length - result.error.length;
}
