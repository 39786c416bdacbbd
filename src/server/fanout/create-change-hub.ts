import type { Logger } from 'pino';
import { CHANGES_CHANNEL, type PullPosition } from '../documents/document-store.ts';
import type { SqlDatabase } from '../sql/sql-database.ts';
import { ChangeFeed, type FeedSink, type Notice } from './change-feed.ts';

/** What a stream does when poked or fed. */
export interface StreamSink extends FeedSink {
  readonly collection: string;
  /** The client id the stream was opened with, if any: its own writes do not poke it. */
  readonly origin?: string | undefined;
  /** "Something changed, pull." Data-free, so it can never run ahead of what a pull returns. */
  change(): void;
  /** "You may have missed changes, pull from your checkpoint." */
  resync(): void;
  /** The client id the stream was opened with, whatever its protocol: its pulls acknowledge the stream. */
  readonly client?: string | undefined;
  /** The stream's client is pulling: it has read what was sent before (see OwedBytes). */
  acknowledge?(): void;
}

/** A pull by a client that has a stream here: where to deliver toward, and its outcome. */
export interface FeedPull {
  /** The feed's position (a snapshot) for the pull to end at, or undefined (the current snapshot). */
  readonly target: string | undefined;
  /**
   * Reports where the pull left the client (undefined when it failed): `next`, and — since
   * RxDB keeps no checkpoint from a pull without documents — what the client's checkpoint
   * snapshot then still is (`kept`: the request's, or null when it had none or a foreign one).
   */
  end(next: PullPosition | undefined, delivered: number, kept: string | null): void;
}

export interface ChangeHub {
  subscribe(sink: StreamSink): () => void;
  /**
   * Brackets a pull by `clientId`, which acknowledges that client's stream of the collection
   * (it has read what was sent before). When that client has a stream on this instance, the feed
   * steps first and the pull ends at the feed's position, after which the stream can be fed
   * the next changes instead of being poked.
   */
  beginPull(collection: string, clientId: string | undefined): Promise<FeedPull>;
  /**
   * Whether change notices reach this instance: `listening` false while the LISTEN session
   * is lost; `delivery` 'failed' when a NOTIFY sent through the query connections did not
   * arrive (LISTEN behind a pooler in transaction mode: live delivery would silently stop).
   */
  readonly listenState?: () => { readonly listening: boolean; readonly delivery: 'unproven' | 'proven' | 'failed' };
  /** Sends a probe notice and waits for it (at most `timeoutMs`); the outcome lands in listenState. */
  proveDelivery?(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

const NO_FEED: FeedPull = { target: undefined, end: () => undefined };

/**
 * Fans changes out to this instance's streams. Writers NOTIFY on commit (any instance, one
 * PostgreSQL); every instance LISTENs, reads each burst of changes once per collection (the
 * ChangeFeed) and sends the documents to streams whose client is caught up, a poke to the
 * others whose workspaces match. When the LISTEN connection comes back after a loss, notices
 * may have been missed, so every stream gets RESYNC.
 */
export async function createChangeHub(db: SqlDatabase, logger: Logger): Promise<ChangeHub> {
  const sinks = new Set<StreamSink>();
  const feeds = new Map<string, ChangeFeed>();
  const sinksOf = (collection: string): StreamSink[] => [...sinks].filter((sink) => sink.collection === collection);
  const feedOf = (collection: string): ChangeFeed => {
    let feed = feeds.get(collection);
    if (!feed) {
      feed = new ChangeFeed(
        db,
        collection,
        () => sinksOf(collection),
        (err) => {
          logger.warn({ err, collection }, 'change feed step failed; poking every stream');
          for (const sink of sinksOf(collection)) sink.change();
        },
      );
      feeds.set(collection, feed);
    }
    return feed;
  };

  let listening = true;
  let delivery: 'unproven' | 'proven' | 'failed' = 'unproven';
  const probes = new Map<string, () => void>();
  const unlisten = await db.listen(CHANGES_CHANNEL, {
    onNotify(payload) {
      if (payload.startsWith(PROBE_PREFIX)) {
        probes.get(payload)?.();
        return;
      }
      const notice = parseNotice(payload);
      if (!notice) logger.warn({ payload: payload.slice(0, 200) }, 'ignoring a malformed change notice');
      else if (sinksOf(notice.c).length > 0) feedOf(notice.c).notify(notice);
    },
    onLost() {
      listening = false;
    },
    onReconnect() {
      listening = true;
      logger.info({ streams: sinks.size }, 'change listener reconnected; sending RESYNC to every stream');
      for (const feed of feeds.values()) feed.reset();
      for (const sink of sinks) sink.resync();
    },
  });

  return {
    subscribe(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
    async beginPull(collection, clientId) {
      const ofClient = clientId === undefined ? [] : sinksOf(collection).filter((candidate) => candidate.client === clientId);
      for (const candidate of ofClient) candidate.acknowledge?.();
      const sink = ofClient.find((candidate) => candidate.origin === clientId);
      if (!sink) return NO_FEED;
      sink.feed.pulling += 1;
      const feed = feedOf(collection);
      let ended = false;
      try {
        // A fresh position: the pull must not end before rows committed before it started.
        await feed.step();
      } catch (error) {
        sink.feed.pulling -= 1;
        throw error;
      }
      const target = feed.position ?? undefined;
      return {
        target,
        end(next, delivered, kept) {
          if (ended) return;
          ended = true;
          sink.feed.pulling -= 1;
          const landed = target !== undefined && next !== undefined && next.upto === null && next.prev === target;
          // The client holds everything up to the target either way; its checkpoint says so only if documents came.
          sink.feed.base = !landed ? null : delivered > 0 ? target : kept;
          // Fed from here on only if the feed has not moved meanwhile (else the step poked it).
          sink.feed.covered = landed && feed.position === target ? target : null;
        },
      };
    },
    listenState: () => ({ listening, delivery }),
    async proveDelivery(timeoutMs = 5_000) {
      const probe = `${PROBE_PREFIX}${globalThis.crypto.randomUUID()}`;
      let timer: NodeJS.Timeout | undefined;
      const arrived = new Promise<boolean>((resolve) => {
        probes.set(probe, () => resolve(true));
        timer = setTimeout(() => resolve(false), timeoutMs);
        timer.unref();
      });
      try {
        // Sent like every write's notice: through the query connections (a pooler, maybe).
        await db.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, probe]);
        const ok = await arrived;
        delivery = ok ? 'proven' : 'failed';
        return ok;
      } finally {
        clearTimeout(timer);
        probes.delete(probe);
      }
    },
    async close() {
      sinks.clear();
      feeds.clear();
      await unlisten();
    },
  };
}

/** Payload prefix of the delivery probe (never a JSON notice). */
const PROBE_PREFIX = 'probe:';

function parseNotice(payload: string): Notice | null {
  try {
    const value = JSON.parse(payload) as { c?: unknown; w?: unknown; o?: unknown };
    if (typeof value.c !== 'string') return null;
    const w = Array.isArray(value.w) && value.w.every((ws): ws is string => typeof ws === 'string') ? value.w : undefined;
    return { c: value.c, w, o: typeof value.o === 'string' ? value.o : undefined };
  } catch {
    return null;
  }
}
