import { BehaviorSubject, filter, firstValueFrom, map, type Observable, Subscription } from 'rxjs';
import { deepEqual, type RxCollection } from 'rxdb';
import { stripBookkeeping } from '../store/conflict-handler.ts';

/** Context RxDB uses when it writes a resolved conflict into the local store. */
const CONFLICT_WRITE_CONTEXT = 'replication-up-write-conflict';
/** Prefix of the context RxDB uses when it writes pulled documents (not local edits). */
const DOWNSTREAM_CONTEXT_PREFIX = 'replication-downstream-';

/**
 * Tracks local writes the server has not acknowledged yet, per document: the content of the
 * newest local version. A push acknowledges a document when the server accepted exactly that
 * content; a newer local edit made meanwhile stays pending.
 */
export class PendingWrites {
  readonly #byId = new Map<string, unknown>();
  /** The server's version after a conflict: the resolution writing it locally is not a new edit. */
  readonly #conflictMasters = new Map<string, unknown>();
  readonly #count = new BehaviorSubject(0);
  /** One tracker serves every replicated collection: one subscription each. */
  readonly #subscriptions = new Subscription();

  readonly count$: Observable<number> = this.#count.asObservable();

  /** @param primaryKey the field holding the document id. */
  constructor(private readonly primaryKey = 'id') {}

  /** Follows the collection's storage writes; pulled (downstream) writes are not local edits. */
  watch(collection: RxCollection): void {
    const subscription = collection.storageInstance.changeStream().subscribe((bulk) => {
      if (bulk.context.startsWith(DOWNSTREAM_CONTEXT_PREFIX)) return;
      for (const event of bulk.events) {
        const content = comparable(event.documentData);
        if (bulk.context === CONFLICT_WRITE_CONTEXT) {
          const master = this.#conflictMasters.get(event.documentId);
          this.#conflictMasters.delete(event.documentId);
          if (master !== undefined && deepEqual(master, content)) {
            this.#delete(event.documentId);
            continue;
          }
        }
        this.#byId.set(event.documentId, content);
      }
      this.#count.next(this.#byId.size);
    });
    this.#subscriptions.add(subscription);
  }

  /** Rows handed to the push handler are pending until acknowledged (covers writes from before a restart). */
  sending(docs: readonly Record<string, unknown>[]): void {
    for (const doc of docs) {
      const id = doc[this.primaryKey] as string;
      if (!this.#byId.has(id)) this.#byId.set(id, comparable(doc));
    }
    this.#count.next(this.#byId.size);
  }

  /** The server accepted these versions; one count update for the whole batch. */
  acknowledged(docs: readonly Record<string, unknown>[]): void {
    let changed = false;
    for (const doc of docs) {
      const id = doc[this.primaryKey] as string;
      if (deepEqual(this.#byId.get(id), comparable(doc))) changed = this.#byId.delete(id) || changed;
    }
    if (changed) this.#count.next(this.#byId.size);
  }

  conflicted(master: Record<string, unknown>): void {
    this.#conflictMasters.set(master[this.primaryKey] as string, comparable(master));
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Resolves once no version of `id` is pending. */
  settled(id: string): Promise<void> {
    return firstValueFrom(
      this.#count.pipe(
        map(() => this.#byId.has(id)),
        filter((pending) => !pending),
      ),
    ).then(() => undefined);
  }

  get size(): number {
    return this.#byId.size;
  }

  #delete(id: string): void {
    this.#byId.delete(id);
    this.#count.next(this.#byId.size);
  }

  stop(): void {
    this.#subscriptions.unsubscribe();
    this.#count.complete();
  }
}

function comparable(doc: object): unknown {
  const { _deleted, ...rest } = stripBookkeeping(doc) as Record<string, unknown>;
  return { ...rest, _deleted: Boolean(_deleted) };
}
