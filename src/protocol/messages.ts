import { z } from 'zod';
import { MAX_PULL_BATCH } from './endpoints.ts';

/**
 * Wire messages. A wire document is the collection's document plus `_deleted` (deletes are
 * soft). Server bookkeeping (transaction id, sequence, receive time) never appears inside a
 * document: it lives in the checkpoint only.
 */
export type WireDocument = { id: string; _deleted: boolean } & Record<string, unknown>;

const decimal = z.string().regex(/^\d{1,20}$/);
/** A PostgreSQL snapshot in its text form `xmin:xmax:xip,xip,…` (pg_snapshot). */
const snapshotText = z
  .string()
  .max(200_000)
  .regex(/^\d{1,20}:\d{1,20}:(\d{1,20}(,\d{1,20})*)?$/);

/**
 * Opaque to clients: they store it and send it back. A snapshot checkpoint (as PgQ's): the
 * client holds every row written by a transaction visible in `snap`; rows arrive in batches
 * "visible now but not in `snap`", so a transaction left open anywhere holds back only its
 * own rows. A batch larger than one page is walked in `(tx, seq)` order toward the fixed
 * snapshot `upto`; `tx`/`seq` are '0' and `upto` null between batches. Every key is always
 * present (RxDB merges checkpoints with Object.assign, so a missing key would keep a stale value).
 */
export const checkpointSchema = z.strictObject({
  /** The database the checkpoint belongs to: another id (a reset or restored database) means "start over". */
  server: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  /** Everything visible in this snapshot has been delivered. */
  snap: snapshotText,
  /** The snapshot the current batch is delivered toward, or null between batches. */
  upto: snapshotText.nullable(),
  /** Inside a batch: the last delivered row's transaction id (xid8) and sequence. */
  tx: decimal,
  seq: decimal,
});
export type SyncCheckpoint = z.infer<typeof checkpointSchema>;

export const pullRequestSchema = z.strictObject({
  checkpoint: checkpointSchema.nullable(),
  batchSize: z.number().int().min(1).max(MAX_PULL_BATCH),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

export interface PullResponse {
  documents: WireDocument[];
  /** The position after the last document; unchanged (the request's) when there are none. */
  checkpoint: SyncCheckpoint | null;
  /**
   * True when the server's byte budget per page (issue 23) cut the page before `batchSize`
   * documents and more are waiting: pull again from `checkpoint` at once. Absent otherwise,
   * and a page shorter than `batchSize` without it means "caught up".
   */
  more?: boolean;
}

/** One push row; the server checks its shape against the collection's primary key. */
export interface PushRow {
  newDocumentState: WireDocument;
  assumedMasterState?: WireDocument | null;
}
export interface PushRequest {
  rows: PushRow[];
}

/** A push row the server will never store (wrong workspace, invalid, immutable field changed). */
export interface RejectedRow {
  id: string;
  /** TOO_LARGE: set by the client itself for a row larger than the server's body limit (issue 23). */
  code: 'VALIDATION' | 'FORBIDDEN_WORKSPACE' | 'IMMUTABLE_FIELD' | 'FORBIDDEN_ROLE' | 'CLOCK_SKEW' | 'TOO_LARGE';
  message: string;
  issues?: { path: (string | number)[]; message: string; code: string }[];
  /** The server's current version of the document, if the caller may see one; null if none. */
  master: WireDocument | null;
}

export interface PushResponse {
  /** The master state of every row that conflicted; nothing was written for those rows. */
  conflicts: WireDocument[];
  rejected: RejectedRow[];
}

/**
 * Stream events: a data-free poke ("something changed, pull"), RESYNC after a (re)connect,
 * or CHANGES — the documents themselves, for a client the server believes caught up: they
 * hold every change between the snapshot `base` and `checkpoint`, so a client whose
 * checkpoint's snapshot is exactly `base` may apply them as if pulled; any other client
 * ignores them and pulls.
 */
export type StreamEvent =
  | { type: 'RESYNC' }
  | { type: 'CHANGE' }
  | { type: 'HEARTBEAT' }
  | { type: 'CHANGES'; base: string; documents: WireDocument[]; checkpoint: SyncCheckpoint };

/** Whole-request error body, with the same codes as BrainStoreError. */
export interface WireError {
  error: { code: string; message: string; issues?: { path: (string | number)[]; message: string; code: string }[] };
}
