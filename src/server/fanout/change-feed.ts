import type { WireDocument } from '../../protocol/messages.ts';
import { pullPage, type PulledRow } from '../documents/document-store.ts';
import { currentWire } from '../documents/schema-versions.ts';
import type { SqlExecutor } from '../sql/sql-database.ts';
import { EMPTY_SNAPSHOT } from '../sql/pg-snapshot.ts';
import { issueCheckpoint } from '../documents/sign-checkpoint.ts';
import { encodeFrame } from './stream-frame.ts';

/** Most rows one feed step reads; a bigger burst is announced by pokes and pulled. */
const FEED_LIMIT = 1_000;
/**
 * Bytes of documents per feed step (issue 23): a step past it is a poke for everyone, who
 * pull in byte-bounded pages; frames over 32 KiB are pokes anyway (see open-change-stream).
 */
const FEED_MAX_BYTES = 256 * 1024;

/** A change notice as the writers NOTIFY it. */
export interface Notice {
  readonly c: string;
  readonly w: readonly string[] | undefined;
  readonly o: string | undefined;
}

/** What the feed knows of one stream's client (mutable bookkeeping). */
export interface FeedState {
  /** The snapshot of the client's checkpoint, as far as this instance knows. */
  base: string | null;
  /** The feed position through which the client holds every row of its workspaces. */
  covered: string | null;
  /** Pulls by this client running on this instance. */
  pulling: number;
}

export interface FeedSink {
  readonly workspaces: ReadonlySet<string>;
  readonly origin?: string | undefined;
  readonly feed: FeedState;
  change(): void;
  /**
   * Sends an encoded CHANGES frame (shared with every stream of the same workspaces and base:
   * not to be modified); false when it cannot go (too large, stream closing).
   */
  deliver(frame: Uint8Array): boolean;
}

/**
 * One collection's change feed on one server instance: on each burst of notices it reads the
 * changes once — every row visible now but not at its last position, for the workspaces of
 * its streams — and sends them to the streams whose client is known to be exactly at that
 * position; the others get a poke and pull as before. The client checks `base` against its
 * own checkpoint before applying, so a wrong guess here costs a pull, never a row.
 */
export class ChangeFeed {
  #position: string | null = null;
  #notices: Notice[] = [];
  #queue: Promise<void> = Promise.resolve();
  #queued = false;

  constructor(
    private readonly db: SqlExecutor,
    private readonly collection: string,
    private readonly sinks: () => FeedSink[],
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Where the feed stands (a snapshot), or null before its first step. */
  get position(): string | null {
    return this.#position;
  }

  /** Queues a notice; the next step reads what it announced. */
  notify(notice: Notice): void {
    this.#notices.push(notice);
    void this.step();
  }

  /** Forgets the position: after a lost LISTEN connection nothing is known of the clients. */
  reset(): void {
    this.#position = null;
    for (const sink of this.sinks()) sink.feed.covered = null;
  }

  /** Runs one step after those queued (coalescing requests made while one waits). */
  step(): Promise<void> {
    if (this.#queued) return this.#queue;
    this.#queued = true;
    this.#queue = this.#queue.then(async () => {
      this.#queued = false;
      await this.#run().catch((error: unknown) => {
        this.reset();
        this.onError(error);
      });
    });
    return this.#queue;
  }

  async #run(): Promise<void> {
    const notices = this.#notices.splice(0);
    const sinks = this.sinks();
    if (sinks.length === 0) {
      this.#position = null;
      return;
    }
    const from = this.#position;
    const workspaces = [...new Set(sinks.flatMap((sink) => [...sink.workspaces]))];
    // A first step starts the feed at the current snapshot: nobody is known to be there yet.
    const page = await pullPage(this.db, {
      collection: this.collection,
      workspaces,
      from: { prev: from ?? EMPTY_SNAPSHOT, upto: null, tx: '0', seq: '0' },
      limit: from === null ? 0 : FEED_LIMIT,
      maxBytes: FEED_MAX_BYTES,
    });
    if (page.next.upto !== null) {
      // More than a step carries: everyone pulls, from a fresh position.
      this.#position = page.next.upto;
      for (const sink of sinks) sink.feed.covered = null;
      for (const sink of sinks) if (notices.length === 0 || touches(sink, notices, [])) sink.change();
      return;
    }
    const to = page.next.prev;
    this.#position = to;
    // Signed as the pull's (sign-checkpoint.ts); a first step sends no documents.
    const checkpoint =
      from === null
        ? { server: '', snap: to, upto: null, tx: '0', seq: '0' }
        : await issueCheckpoint(this.db, { prev: to, upto: null, tx: '0', seq: '0' });
    // Streams with the same workspaces share their rows, and with the same base their frame:
    // each is filtered, converted and encoded once per step, however many streams it goes to.
    const rowsOf = new Map<string, PulledRow[]>();
    const documentsOf = new Map<string, WireDocument[]>();
    const frames = new Map<string, Uint8Array>();
    for (const sink of sinks) {
      const key = workspaceKey(sink.workspaces);
      let rows = rowsOf.get(key);
      if (!rows) {
        rows = from === null ? [] : page.rows.filter((row) => sink.workspaces.has(row.ws));
        rowsOf.set(key, rows);
      }
      const state = sink.feed;
      if (from !== null && state.covered === from && state.base !== null && state.pulling === 0) {
        if (rows.length > 0) {
          const frameKey = `${key}\u0001${state.base}`;
          let frame = frames.get(frameKey);
          if (!frame) {
            let documents = documentsOf.get(key);
            if (!documents) {
              documents = rows.map((row) => currentWire(this.collection, row));
              documentsOf.set(key, documents);
            }
            frame = encodeFrame({ type: 'CHANGES', base: state.base, documents, checkpoint });
            frames.set(frameKey, frame);
          }
          if (!sink.deliver(frame)) {
            state.covered = null;
            sink.change();
            continue;
          }
          state.base = to;
        }
        state.covered = to;
      } else if (touches(sink, notices, rows)) {
        sink.change();
      }
    }
  }
}

const workspaceKeys = new WeakMap<ReadonlySet<string>, string>();

/** The same string for equal workspace sets (cached per set: a stream's set never changes). */
function workspaceKey(workspaces: ReadonlySet<string>): string {
  let key = workspaceKeys.get(workspaces);
  if (key === undefined) {
    key = JSON.stringify([...workspaces].sort());
    workspaceKeys.set(workspaces, key);
  }
  return key;
}

/** Whether a stream must be poked: a notice for its workspaces from someone else, or rows nobody announced. */
function touches(sink: FeedSink, notices: readonly Notice[], rows: readonly PulledRow[]): boolean {
  const relevant = notices.filter((notice) => !notice.w || notice.w.some((ws) => sink.workspaces.has(ws)));
  if (relevant.length === 0) return rows.length > 0;
  return relevant.some((notice) => notice.o === undefined || notice.o !== sink.origin);
}
