import { BehaviorSubject, filter, firstValueFrom, map, type Observable, Subject, Subscription } from 'rxjs';
import { deepEqual, type RxCollection, type RxDatabase } from 'rxdb';
import { stripBookkeeping } from '../store/conflict-handler.ts';

/** Context RxDB uses when it writes a resolved conflict into the local store. */
const CONFLICT_WRITE_CONTEXT = 'replication-up-write-conflict';
/** Prefix of the context RxDB uses when it writes pulled documents (not local edits). */
const DOWNSTREAM_CONTEXT_PREFIX = 'replication-downstream-';

/** How the tabs of one multi-instance database keep their trackers equal. */
type TabMessage =
  | { readonly type: 'ack'; readonly docs: readonly unknown[] }
  | { readonly type: 'sending'; readonly docs: readonly [string, unknown][] }
  | { readonly type: 'conflict'; readonly id: string; readonly master: unknown }
  | { readonly type: 'synced'; readonly at: number }
  | { readonly type: 'hello' }
  | { readonly type: 'snapshot'; readonly entries: readonly [string, unknown][] };

export interface PendingWritesSharing {
  /** BroadcastChannel name shared by every tab of the database; none: this tab alone. */
  readonly channel?: string | undefined;
  /** Whether this tab is the one that replicates (answers newcomers, owns the push). */
  readonly isLeader?: () => boolean;
}

/**
 * Tracks local writes the server has not acknowledged yet, per document: the content of the
 * newest local version. A push acknowledges a document when the server accepted exactly that
 * content; a newer local edit made meanwhile stays pending.
 *
 * Several tabs on one database (multiInstance): only the leader tab pushes, but every tab
 * must tell the truth (issue 8; RxDB #8632 is this class of bug). Each tab already sees every
 * tab's local writes in the storage change stream; the leader broadcasts what it learns from
 * the server — acknowledgements, conflict masters, rows found unsent after a restart — and
 * answers a newcomer with its whole set, so every tab holds the same set, and a tab that
 * takes over after a leader closes starts from an exact one. A leader broadcasts an
 * acknowledgement before RxDB stores the push checkpoint, so a leader dying in between makes
 * the next leader push the rows again rather than leave them counted forever.
 */
export class PendingWrites {
  readonly #byId = new Map<string, unknown>();
  /** The server's version after a conflict: the resolution writing it locally is not a new edit. */
  readonly #conflictMasters = new Map<string, unknown>();
  readonly #count = new BehaviorSubject(0);
  readonly #synced = new Subject<number>();
  /** One tracker serves every replicated collection: one subscription each. */
  readonly #subscriptions = new Subscription();
  readonly #channel: BroadcastChannel | undefined;
  readonly #isLeader: () => boolean;
  /**
   * A follower's "nothing pending" means in sync only once a replicating tab has spoken: a
   * fresh tab that is not leader yet has pulled nothing and must not report in sync.
   */
  #heardFromLeader = false;

  readonly count$: Observable<number> = this.#count.asObservable();
  /** When this tab or the replicating tab last heard from the server. */
  readonly syncedAt$: Observable<number> = this.#synced.asObservable();

  /** @param primaryKey the field holding the document id. */
  constructor(
    private readonly primaryKey = 'id',
    sharing: PendingWritesSharing = {},
  ) {
    this.#isLeader = sharing.isLeader ?? (() => true);
    const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
    this.#channel = sharing.channel !== undefined && Channel ? new Channel(sharing.channel) : undefined;
    if (this.#channel) {
      this.#channel.onmessage = (event: MessageEvent<TabMessage>) => this.#receive(event.data);
      this.#post({ type: 'hello' });
    }
  }

  /** A tracker shared by the tabs of `database` when it is multi-instance. */
  static forDatabase(
    database: Pick<RxDatabase, 'name' | 'multiInstance' | 'isLeader'>,
    isLeader: () => boolean = () => database.isLeader(),
  ): PendingWrites {
    return new PendingWrites('id', {
      channel: database.multiInstance ? `brain-store-pending:${database.name}` : undefined,
      isLeader,
    });
  }

  /** Follows the collection's storage writes (every tab's); pulled (downstream) writes are not local edits. */
  watch(collection: RxCollection): void {
    const subscription = collection.storageInstance.changeStream().subscribe((bulk) => {
      if (bulk.context.startsWith(DOWNSTREAM_CONTEXT_PREFIX)) return;
      for (const event of bulk.events) {
        const content = comparable(event.documentData);
        if (bulk.context === CONFLICT_WRITE_CONTEXT) {
          const master = this.#conflictMasters.get(event.documentId);
          this.#conflictMasters.delete(event.documentId);
          if (master !== undefined && deepEqual(master, content)) {
            this.#byId.delete(event.documentId);
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
    const added: [string, unknown][] = [];
    for (const doc of docs) {
      const id = doc[this.primaryKey] as string;
      if (this.#byId.has(id)) continue;
      const content = comparable(doc);
      this.#byId.set(id, content);
      added.push([id, content]);
    }
    if (added.length > 0) this.#post({ type: 'sending', docs: added });
    this.#count.next(this.#byId.size);
  }

  /** The server accepted these versions; one count update for the whole batch. */
  acknowledged(docs: readonly Record<string, unknown>[]): void {
    if (docs.length === 0) return;
    const contents = docs.map(comparable);
    this.#post({ type: 'ack', docs: contents });
    this.#acknowledge(contents);
  }

  conflicted(master: Record<string, unknown>): void {
    const id = master[this.primaryKey] as string;
    const content = comparable(master);
    this.#post({ type: 'conflict', id, master: content });
    this.#conflictMasters.set(id, content);
  }

  /** The server answered (this tab's replication); other tabs learn it too. */
  synced(at: number): void {
    this.#post({ type: 'synced', at });
    this.#synced.next(at);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Resolves once no version of `id` is pending. */
  settled(id: string): Promise<void> {
    return this.#until(() => !this.#byId.has(id));
  }

  /**
   * For a tab that does not replicate (its RxDB replication waits for leadership and never
   * reports in sync): resolves once this tab follows and `id` (or, without one, every write)
   * is acknowledged by the server through the leader.
   */
  settledAsFollower(id?: string): Promise<void> {
    return this.#until(
      () => !this.#isLeader() && this.#heardFromLeader && (id === undefined ? this.#byId.size === 0 : !this.#byId.has(id)),
    );
  }

  get size(): number {
    return this.#byId.size;
  }

  stop(): void {
    this.#subscriptions.unsubscribe();
    this.#channel?.close();
    this.#count.complete();
    this.#synced.complete();
  }

  #until(done: () => boolean): Promise<void> {
    return firstValueFrom(this.#count.pipe(map(done), filter(Boolean))).then(
      () => undefined,
      // Stopped before it happened: the replication was cancelled, nothing more will settle.
      () => undefined,
    );
  }

  #acknowledge(contents: readonly unknown[]): void {
    let changed = false;
    for (const content of contents) {
      const id = (content as Record<string, unknown>)[this.primaryKey] as string;
      if (deepEqual(this.#byId.get(id), content)) changed = this.#byId.delete(id) || changed;
    }
    if (changed) this.#count.next(this.#byId.size);
  }

  #receive(message: TabMessage): void {
    switch (message.type) {
      case 'ack':
        this.#leaderSpoke();
        return this.#acknowledge(message.docs);
      case 'sending':
        for (const [id, content] of message.docs) if (!this.#byId.has(id)) this.#byId.set(id, content);
        return this.#count.next(this.#byId.size);
      case 'conflict':
        // The resolution's change event may arrive before or after this message.
        if (deepEqual(this.#byId.get(message.id), message.master)) {
          this.#byId.delete(message.id);
          return this.#count.next(this.#byId.size);
        }
        this.#conflictMasters.set(message.id, message.master);
        return;
      case 'synced':
        this.#leaderSpoke();
        return this.#synced.next(message.at);
      case 'hello':
        if (this.#isLeader()) this.#post({ type: 'snapshot', entries: [...this.#byId] });
        return;
      case 'snapshot':
        this.#heardFromLeader = true;
        for (const [id, content] of message.entries) if (!this.#byId.has(id)) this.#byId.set(id, content);
        return this.#count.next(this.#byId.size);
    }
  }

  #leaderSpoke(): void {
    if (this.#heardFromLeader) return;
    this.#heardFromLeader = true;
    this.#count.next(this.#byId.size);
  }

  #post(message: TabMessage): void {
    try {
      this.#channel?.postMessage(message);
    } catch {
      // A closed channel (the tab is going away): the other tabs' leader recomputes from its own set.
    }
  }
}

function comparable(doc: object): unknown {
  const { _deleted, ...rest } = stripBookkeeping(doc) as Record<string, unknown>;
  return { ...rest, _deleted: Boolean(_deleted) };
}
