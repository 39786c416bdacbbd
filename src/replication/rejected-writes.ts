import { BehaviorSubject, type Observable } from 'rxjs';
import { deepEqual } from 'rxdb';
import { stripBookkeeping } from '../store/conflict-handler.ts';
import type { CollectionName } from '../collections/declare-collection.ts';
import type { RejectedRow, WireDocument } from '../protocol/messages.ts';

/** A local write the server refused for good, kept so nothing is dropped silently. */
export interface RejectedWrite {
  readonly collection: CollectionName;
  /** The document as written locally (and now reverted to the server's version). */
  readonly document: WireDocument;
  readonly code: RejectedRow['code'];
  readonly message: string;
  readonly issues: NonNullable<RejectedRow['issues']>;
  readonly rejectedAt: number;
}

/** The holding area: every rejected write, newest last, until the app clears it. */
export class RejectedWrites {
  readonly #list = new BehaviorSubject<readonly RejectedWrite[]>([]);
  readonly list$: Observable<readonly RejectedWrite[]> = this.#list.asObservable();

  add(write: RejectedWrite): void {
    // The same write refused for the same reason by two paths (a token refresh that revokes a
    // workspace while a push of it is in flight) is one entry.
    const same = (kept: RejectedWrite) =>
      kept.collection === write.collection &&
      kept.code === write.code &&
      deepEqual(stripBookkeeping(kept.document), stripBookkeeping(write.document));
    if (this.#list.value.some(same)) return;
    this.#list.next(Object.freeze([...this.#list.value, Object.freeze(write)]));
  }

  /** Removes entries (all, or those matching) once the app has dealt with them. */
  clear(predicate: (write: RejectedWrite) => boolean = () => true): void {
    this.#list.next(Object.freeze(this.#list.value.filter((write) => !predicate(write))));
  }

  /** Takes the whole list from the replicating tab (every tab shows the same refused writes). */
  replace(list: readonly RejectedWrite[]): void {
    this.#list.next(Object.freeze(list.map((write) => Object.freeze({ ...write }))));
  }

  get current(): readonly RejectedWrite[] {
    return this.#list.value;
  }

  stop(): void {
    this.#list.complete();
  }
}
