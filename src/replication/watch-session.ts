import { BehaviorSubject, type Observable } from 'rxjs';
import type { RxCollection } from 'rxdb';
import type { CollectionName } from '../collections/declare-collection.ts';
import { endpoints } from '../protocol/endpoints.ts';
import { sessionResponseSchema, type SessionResponse } from '../protocol/session.ts';
import type { WireDocument } from '../protocol/messages.ts';
import { stripBookkeeping } from '../store/conflict-handler.ts';
import { readJson, type SyncHttpClient } from './sync-http-client.ts';
import type { RejectedWrites } from './rejected-writes.ts';

/** What the current token grants, as the server reads it (GET /sync/session). */
export type SyncSession = Readonly<SessionResponse>;

export interface WatchSessionOptions {
  readonly client: SyncHttpClient;
  readonly collections: readonly { readonly name: CollectionName; readonly collection: RxCollection<Record<string, unknown>> }[];
  /** Whether a local write of this id is not yet acknowledged by the server. */
  readonly isPending: (id: string) => boolean;
  readonly rejected: RejectedWrites;
  readonly now: () => number;
  /** A workspace was granted that the previous session did not: pull it (from the start). */
  readonly onGained: (workspaces: readonly string[]) => void;
}

export interface SessionWatch {
  readonly session$: Observable<SyncSession | null>;
  /** Asks the server now (e.g. after a refresh the app knows of). */
  refresh(): Promise<SyncSession>;
  /** Called with every token the replication sends: a new one is asked about once. */
  tokenSeen(token: string): void;
  /**
   * Whether a row is the local removal of a document whose workspace the token no longer
   * grants: never pushed (the server keeps its copy). Other writes to such a workspace are
   * pushed and refused with FORBIDDEN_WORKSPACE, so they land in rejected$ like any refusal.
   */
  isRevoked(doc: Record<string, unknown>): boolean;
  stop(): void;
}

/**
 * Follows what the token grants. When a token the replication sends is new (a refresh), the
 * server is asked which workspaces it grants; documents of a workspace no longer granted are
 * removed from the store — their unsynced writes go to `rejected$` with FORBIDDEN_WORKSPACE
 * first, since the server will never take them — and a workspace newly granted is pulled.
 * Checks run one at a time, so two quick refreshes never interleave their removals.
 */
export function watchSession(options: WatchSessionOptions): SessionWatch {
  const session$ = new BehaviorSubject<SyncSession | null>(null);
  let granted: ReadonlySet<string> | undefined;
  /** The grant of the last token asked about (see grantKey). */
  let lastToken: string | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const ask = async (): Promise<SyncSession> => {
    const response = await options.client.request(endpoints.session, { method: 'GET', headers: options.client.headers() });
    const session: SyncSession = await readJson(response, sessionResponseSchema, endpoints.session);
    if (stopped) return session;
    const previous = granted;
    granted = new Set(session.workspaces);
    session$.next(session);
    await removeRevoked(options, granted);
    const gained = previous ? session.workspaces.filter((ws) => !previous.has(ws)) : [];
    if (gained.length > 0) options.onGained(gained);
    return session;
  };
  const refresh = (): Promise<SyncSession> => {
    const run = queue.then(ask);
    // A failed check (offline, an old server without /sync/session) is tried again with the next new token.
    queue = run.catch(() => (lastToken = undefined));
    return run;
  };

  return {
    session$: session$.asObservable(),
    refresh,
    tokenSeen: (token) => {
      const key = grantKey(token);
      if (stopped || key === lastToken) return;
      lastToken = key;
      void refresh().catch(() => undefined);
    },
    isRevoked: (doc) => {
      const ws = doc['workspace_id'];
      return doc['_deleted'] === true && granted !== undefined && typeof ws === 'string' && !granted.has(ws);
    },
    stop: () => {
      stopped = true;
      session$.complete();
    },
  };
}

/** Removes the documents of workspaces outside `granted`, after recording their unsynced writes as rejected. */
async function removeRevoked(options: WatchSessionOptions, granted: ReadonlySet<string>): Promise<void> {
  for (const { name, collection } of options.collections) {
    const docs = (
      await Promise.all(outsideRanges(granted).map((range) => collection.find({ selector: { workspace_id: range } }).exec()))
    ).flat();
    if (docs.length === 0) continue;
    const already = new Set(options.rejected.current.filter((write) => write.collection === name).map((write) => write.document.id));
    for (const doc of docs) {
      if (!options.isPending(doc.primary) || already.has(doc.primary)) continue;
      options.rejected.add({
        collection: name,
        document: { ...stripBookkeeping(doc.toJSON(true)), _deleted: false } as unknown as WireDocument,
        code: 'FORBIDDEN_WORKSPACE',
        message: 'the token no longer grants this workspace',
        issues: [],
        rejectedAt: options.now(),
      });
    }
    // These local deletes are never pushed (isRevoked): the server keeps its copy.
    await collection.bulkRemove(docs.map((doc) => doc.primary));
  }
}

/**
 * The workspace_id ranges outside the granted ones: before the first, between each two,
 * after the last. Each is a range on the leading field of the collections' workspace
 * indexes, so finding nothing costs an index probe, not a scan of the store (this runs on
 * every replication start, when the store may hold 100k documents).
 */
export function outsideRanges(granted: ReadonlySet<string>): Record<string, string>[] {
  const sorted = [...granted].sort();
  if (sorted.length === 0) return [{ $gte: '' }];
  const ranges: Record<string, string>[] = [{ $lt: sorted[0]! }];
  for (let i = 0; i < sorted.length - 1; i++) ranges.push({ $gt: sorted[i]!, $lt: sorted[i + 1]! });
  ranges.push({ $gt: sorted.at(-1)! });
  return ranges;
}

/**
 * What a token grants, for "is this refresh a new grant?": a JWT's payload without its
 * times and id, so a getToken that mints a fresh token per request (same workspaces, role
 * and subject) costs no extra request. Read without verifying — only the server decides;
 * this merely skips asking it again. Anything else compares whole.
 */
export function grantKey(token: string): string {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const { iat: _iat, exp: _exp, nbf: _nbf, jti: _jti, ...grant } = payload;
    return JSON.stringify(Object.entries(grant).sort(([a], [b]) => (a < b ? -1 : 1)));
  } catch {
    return token;
  }
}
