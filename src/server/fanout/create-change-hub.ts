import type { Logger } from 'pino';
import { CHANGES_CHANNEL } from '../documents/document-store.ts';
import type { SqlDatabase } from '../sql/sql-database.ts';

/** What a stream does when poked. */
export interface StreamSink {
  readonly collection: string;
  readonly workspaces: ReadonlySet<string>;
  /** The client id the stream was opened with, if any: its own writes do not poke it. */
  readonly origin?: string | undefined;
  /** "Something changed, pull." Data-free, so it can never run ahead of what a pull returns. */
  change(): void;
  /** "You may have missed changes, pull from your checkpoint." */
  resync(): void;
}

export interface ChangeHub {
  subscribe(sink: StreamSink): () => void;
  close(): Promise<void>;
}

/**
 * Fans change notices out to this instance's streams. Writers NOTIFY on commit (any
 * instance, one PostgreSQL); every instance LISTENs and pokes its own streams whose
 * workspaces match. When the LISTEN connection comes back after a loss, notices may have
 * been missed, so every stream gets RESYNC.
 */
export async function createChangeHub(db: SqlDatabase, logger: Logger): Promise<ChangeHub> {
  const sinks = new Set<StreamSink>();

  const poke = (collection: string, workspaces: readonly string[] | undefined, origin: string | undefined): void => {
    for (const sink of sinks) {
      if (sink.collection !== collection) continue;
      if (origin !== undefined && sink.origin === origin) continue;
      if (workspaces && !workspaces.some((ws) => sink.workspaces.has(ws))) continue;
      sink.change();
    }
  };

  const unlisten = await db.listen(CHANGES_CHANNEL, {
    onNotify(payload) {
      const notice = parseNotice(payload);
      if (notice) poke(notice.c, notice.w, notice.o);
      else logger.warn({ payload: payload.slice(0, 200) }, 'ignoring a malformed change notice');
    },
    onReconnect() {
      logger.info({ streams: sinks.size }, 'change listener reconnected; sending RESYNC to every stream');
      for (const sink of sinks) sink.resync();
    },
  });

  return {
    subscribe(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
    async close() {
      sinks.clear();
      await unlisten();
    },
  };
}

function parseNotice(payload: string): { c: string; w: string[] | undefined; o: string | undefined } | null {
  try {
    const value = JSON.parse(payload) as { c?: unknown; w?: unknown; o?: unknown };
    if (typeof value.c !== 'string') return null;
    const w = Array.isArray(value.w) && value.w.every((ws): ws is string => typeof ws === 'string') ? value.w : undefined;
    return { c: value.c, w, o: typeof value.o === 'string' ? value.o : undefined };
  } catch {
    return null;
  }
}
