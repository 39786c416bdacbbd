import * as z from 'zod/mini';
import { MAX_PULL_BATCH } from './endpoints.ts';

/**
 * The wire messages, each declared once as a schema (zod/mini, so the client bundle stays
 * small); the TypeScript types are inferred from them. The server checks requests against
 * them, the client checks every answer and stream event (see `readMessage`), so a server of
 * another version or anything rewriting the answer fails as a typed PROTOCOL error instead of
 * a TypeError deep in the replication.
 *
 * Documents are checked as envelopes only (an object with a boolean `_deleted`, without
 * copying; the primary key's name is the collection's, which the store checks): the store validates every document against its collection
 * schema when it writes it, and a pull page holds up to MAX_PULL_BATCH of them.
 */

/**
 * A wire document is the collection's document plus `_deleted` (deletes are soft). Server
 * bookkeeping (transaction id, sequence, receive time) never appears inside a document: it
 * lives in the checkpoint only.
 */
export type WireDocument = { id: string; _deleted: boolean } & Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWireDocument(value: unknown): value is WireDocument {
  return isRecord(value) && typeof value['_deleted'] === 'boolean';
}

const NOT_A_DOCUMENT = 'must be a document: an object with a boolean _deleted';

/** The envelope of a document: checked, never copied. */
export const wireDocumentSchema = z.custom<WireDocument>(isWireDocument, { error: NOT_A_DOCUMENT });

/**
 * A list of documents, checked in one plain loop (a pull page holds thousands: a schema
 * per element cost ten times as much); the message names the first bad index.
 */
const wireDocumentsSchema = z.custom<WireDocument[]>((value) => Array.isArray(value) && value.every(isWireDocument), {
  error: (issue) =>
    Array.isArray(issue.input)
      ? `item ${issue.input.findIndex((doc) => !isWireDocument(doc))} ${NOT_A_DOCUMENT}`
      : 'must be an array of documents',
});

const decimal = z.string().check(z.regex(/^\d{1,20}$/));
/** A PostgreSQL snapshot in its text form `xmin:xmax:xip,xip,…` (pg_snapshot). */
const snapshotText = z.string().check(z.maxLength(200_000), z.regex(/^\d{1,20}:\d{1,20}:(\d{1,20}(,\d{1,20})*)?$/));

/**
 * Opaque to clients: they store it and send it back. A snapshot checkpoint (as PgQ's): the
 * client holds every row written by a transaction visible in `snap`; rows arrive in batches
 * "visible now but not in `snap`", so a transaction left open anywhere holds back only its
 * own rows. A batch larger than one page is walked in `(tx, seq)` order toward the fixed
 * snapshot `upto`; `tx`/`seq` are '0' and `upto` null between batches. Every key is always
 * present (RxDB merges checkpoints with Object.assign, so a missing key would keep a stale value).
 */
export const checkpointSchema = z.strictObject({
  /**
   * The database the checkpoint belongs to, and the server's signature (see checkpointDatabase):
   * another database (a reset or restored one) means "start over".
   */
  server: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,100}$/)),
  /** Everything visible in this snapshot has been delivered. */
  snap: snapshotText,
  /** The snapshot the current batch is delivered toward, or null between batches. */
  upto: z.nullable(snapshotText),
  /** Inside a batch: the last delivered row's transaction id (xid8) and sequence. */
  tx: decimal,
  seq: decimal,
});
export type SyncCheckpoint = z.infer<typeof checkpointSchema>;

/**
 * The database a checkpoint's `server` names. Since issue 23 the server signs its
 * checkpoints there, as `<database>.<signature>` (the database id is `<random id>.<oid>`);
 * checkpoints of earlier servers carry the bare id.
 */
export function checkpointDatabase(server: string): string {
  return server.split('.', 2).join('.');
}

/** POST /sync/:collection/pull */
export const pullRequestSchema = z.strictObject({
  checkpoint: z.nullable(checkpointSchema),
  batchSize: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_PULL_BATCH)),
});
/** @public The pull request body: for readers of the protocol (the handler reads the schema). */
export type PullRequest = z.infer<typeof pullRequestSchema>;

export const pullResponseSchema = z.object({
  documents: wireDocumentsSchema,
  /** The position after the last document; unchanged (the request's) when there are none. */
  checkpoint: z.nullable(checkpointSchema),
  /**
   * True when the server's byte budget per page (issue 23) cut the page before `batchSize`
   * documents and more are waiting: pull again from `checkpoint` at once. Absent otherwise,
   * and a page shorter than `batchSize` without it means "caught up".
   */
  more: z.optional(z.boolean()),
});
export type PullResponse = z.infer<typeof pullResponseSchema>;

/** One push row; the server checks its shape against the collection's primary key. */
export const pushRowSchema = z.object({
  newDocumentState: wireDocumentSchema,
  assumedMasterState: z.optional(z.nullable(wireDocumentSchema)),
});
export type PushRow = z.infer<typeof pushRowSchema>;

/** POST /sync/:collection/push */
export const pushRequestSchema = z.object({ rows: z.array(pushRowSchema) });
export type PushRequest = z.infer<typeof pushRequestSchema>;

/** One schema issue on the wire: where (`path`) and why (`message`, `code`). */
export const wireIssueSchema = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
  code: z.string(),
});
/** @public One issue of a wire error: for readers of the protocol. */
export type WireIssue = z.infer<typeof wireIssueSchema>;

/**
 * The codes a push row can be refused with. TOO_LARGE: refused by the client itself, a row
 * larger than the server's announced body limit (issue 23).
 */
export const REJECT_CODES = ['VALIDATION', 'FORBIDDEN_WORKSPACE', 'IMMUTABLE_FIELD', 'FORBIDDEN_ROLE', 'CLOCK_SKEW', 'TOO_LARGE'] as const;

/** A push row the server will never store (wrong workspace, invalid, immutable field changed). */
export const rejectedRowSchema = z.object({
  id: z.string(),
  code: z.enum(REJECT_CODES),
  message: z.string(),
  issues: z.optional(z.array(wireIssueSchema)),
  /** The server's current version of the document, if the caller may see one; null if none. */
  master: z.nullable(wireDocumentSchema),
});
export type RejectedRow = z.infer<typeof rejectedRowSchema>;

export const pushResponseSchema = z.object({
  /** The master state of every row that conflicted; nothing was written for those rows. */
  conflicts: wireDocumentsSchema,
  rejected: z.array(rejectedRowSchema),
});
export type PushResponse = z.infer<typeof pushResponseSchema>;

/**
 * Stream events: a data-free poke ("something changed, pull"), RESYNC after a (re)connect,
 * or CHANGES — the documents themselves, for a client the server believes caught up: they
 * hold every change between the snapshot `base` and `checkpoint`, so a client whose
 * checkpoint's snapshot is exactly `base` may apply them as if pulled; any other client
 * ignores them and pulls.
 */
export const streamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('RESYNC') }),
  z.object({ type: z.literal('CHANGE') }),
  z.object({ type: z.literal('HEARTBEAT') }),
  z.object({ type: z.literal('CHANGES'), base: z.string(), documents: wireDocumentsSchema, checkpoint: checkpointSchema }),
]);
export type StreamEvent = z.infer<typeof streamEventSchema>;

/**
 * Whole-request error body, with the same codes as BrainStoreError. The code is a string
 * here on purpose: a newer server may send a code this client does not know, and the client
 * turns that into a typed error of its own (see the sync HTTP client), never a TypeError.
 */
export const wireErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), issues: z.optional(z.array(wireIssueSchema)) }),
});
export type WireError = z.infer<typeof wireErrorSchema>;
