import type { Subscription } from 'rxjs';
import { getHeightOfRevision, type RxCollection } from 'rxdb';
import type { WireDocument } from '../../protocol/messages.ts';
import { storageBelowCollection } from './write-first-sync-page.ts';

interface StoredDoc {
  readonly _rev: string;
  readonly _meta: { readonly o?: { readonly hash?: string; readonly _rev?: number } };
  readonly _deleted: boolean;
  readonly [field: string]: unknown;
}

/**
 * The server's version of first-sync documents edited locally. A first-sync document has no
 * assumed master in RxDB's meta data, so without this its first local edit would be pushed
 * as if the server had never seen it: a conflict, settled by the merge rule, where the normal
 * protocol has a plain update (RxDB's base suite tells the difference). The version the edit
 * replaced is still the server's while its revision is the one the first sync wrote (RxDB's
 * own origin mark, `_meta.o`); it is kept from the change event of the edit and sent as the
 * push row's assumed master state. One per open collection, from its first replication until
 * it closes (a replication stopped and started again meanwhile still finds the edits); in
 * memory only: an edit made before any replication of this session takes the conflict path,
 * which the merge rules settle.
 */
export class FirstSyncOrigins {
  static readonly #byCollection = new WeakMap<RxCollection<Record<string, unknown>>, FirstSyncOrigins>();
  readonly #byId = new Map<string, WireDocument>();
  readonly #marks = new Set<Promise<string>>();
  readonly #subscription: Subscription;

  /** The collection's tracker, which also recognises the documents of the replication marked `hash`. */
  static forCollection(collection: RxCollection<Record<string, unknown>>, hash: Promise<string>): FirstSyncOrigins {
    let origins = FirstSyncOrigins.#byCollection.get(collection);
    if (!origins) {
      const created = new FirstSyncOrigins(collection);
      FirstSyncOrigins.#byCollection.set(collection, created);
      collection.onClose.push(() => created.#subscription.unsubscribe());
      origins = created;
    }
    origins.#marks.add(hash);
    return origins;
  }

  private constructor(collection: RxCollection<Record<string, unknown>>) {
    const key = collection.schema.primaryPath;
    this.#subscription = storageBelowCollection(collection)
      .changeStream()
      .subscribe((bulk) => {
        // RxDB's replication writes (pulled documents, resolved conflicts) are not edits.
        if (bulk.context.startsWith('replication-')) return;
        void Promise.all(this.#marks).then((marks) => {
          for (const event of bulk.events) {
            const previous = event.previousDocumentData as StoredDoc | undefined;
            if (!previous || this.#byId.has(event.documentId)) continue;
            const origin = previous._meta.o;
            if (!marks.includes(origin?.hash ?? '') || origin?._rev !== getHeightOfRevision(previous._rev)) continue;
            const { _rev, _meta, _attachments, ...doc } = previous;
            this.#byId.set(previous[key] as string, doc as WireDocument);
          }
        });
      });
  }

  /** The server's version an edit of `id` replaced, if that edit is the first since the first sync. */
  get(id: string): WireDocument | undefined {
    return this.#byId.get(id);
  }

  /** The server answered a push of `id`: from now on RxDB's meta data holds its master state. */
  settled(id: string): void {
    this.#byId.delete(id);
  }
}
