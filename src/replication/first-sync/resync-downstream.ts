import type { SyncCheckpoint, WireDocument } from '../../protocol/messages.ts';
import type { ResyncHead } from './resync-head.ts';

/**
 * How a resync's head reaches RxDB (docs/first-sync.md): as the pull handler's answers, with
 * the checkpoint unchanged, so RxDB's own master/fork logic writes it (a local document with
 * unpushed changes is kept, the upstream pushes it and the merge rule decides).
 *
 * Each answer is shorter than a pull page: RxDB takes it for "caught up" and writes it before
 * it asks again (the caller then asks at once with a RESYNC), so the head is stored before any
 * page of the rest, and "in sync" waits for the pull that follows.
 */
export interface ResyncDownstream {
  /** The next answer of the head for a pull from `from`, or undefined: pull as usual. */
  next(from: SyncCheckpoint | null, batchSize: number): Promise<WireDocument[] | undefined>;
  /** Documents this replication pushed (answered): a head copy read before may be older than them. */
  pushed(ids: Iterable<string>): void;
  /** Whether an answer of the head waits for RxDB to ask again. */
  pending(): boolean;
  /** The pull after the last answer of the head has been asked for (at once when none is pending). */
  settled(): Promise<void>;
  /** Nothing more will be asked (cancelled): releases whoever waits in settled(). */
  stop(): void;
}

export function resyncDownstream(head: ResyncHead, primaryKey: string): ResyncDownstream {
  let queue: WireDocument[] = [];
  /** While a head is read or handed over: the ids pushed meanwhile (none recorded otherwise). */
  let pushedMeanwhile: Set<string> | undefined;
  let pending: { promise: Promise<void>; resolve: () => void } | undefined;

  const settle = () => {
    pending?.resolve();
    pending = undefined;
  };

  return {
    async next(from, batchSize) {
      // RxDB asks again only once it has written what it was handed.
      settle();
      if (from === null) queue = [];
      else if (queue.length === 0) {
        pushedMeanwhile = new Set();
        queue = (await head.take(from, batchSize)) ?? [];
      }
      // A document pushed since the head was read may be newer here than its head copy: the
      // pull that follows brings its current version.
      const pushed = pushedMeanwhile;
      if (pushed && pushed.size > 0) queue = queue.filter((doc) => !pushed.has(doc[primaryKey] as string));
      if (from === null || queue.length === 0) {
        // The head is stored (or there was none): the pull takes over.
        head.written();
        pushedMeanwhile = undefined;
        return undefined;
      }
      const documents = queue.splice(0, Math.max(1, batchSize - 1));
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      pending = { promise, resolve };
      return documents;
    },
    pushed(ids) {
      if (pushedMeanwhile) for (const id of ids) pushedMeanwhile.add(id);
    },
    pending: () => pending !== undefined,
    async settled() {
      // A new hand-over while waiting (the next answer of the head) is waited for too.
      while (pending) await pending.promise;
    },
    stop() {
      queue = [];
      settle();
    },
  };
}
