import { z } from 'zod';
import { MAX_PULL_BATCH } from './endpoints.ts';

/**
 * Wire messages. A wire document is the collection's document plus `_deleted` (deletes are
 * soft). Server bookkeeping (transaction id, sequence, receive time) never appears inside a
 * document: it lives in the checkpoint only.
 */
export type WireDocument = { id: string; _deleted: boolean } & Record<string, unknown>;

/** Opaque to clients: they store it and send it back. */
export const checkpointSchema = z.strictObject({
  /** Commit-order position: the writing transaction's id (xid8, as a decimal string). */
  tx: z.string().regex(/^\d{1,20}$/),
  /** Tie-break within one transaction: the row's sequence number (decimal string). */
  seq: z.string().regex(/^\d{1,20}$/),
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
  code: 'VALIDATION' | 'FORBIDDEN_WORKSPACE' | 'IMMUTABLE_FIELD' | 'FORBIDDEN_ROLE' | 'CLOCK_SKEW';
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

/** Stream events: a data-free poke ("something changed, pull"), or RESYNC after a (re)connect. */
export type StreamEvent = { type: 'RESYNC' } | { type: 'CHANGE' } | { type: 'HEARTBEAT' };

/** Whole-request error body, with the same codes as BrainStoreError. */
export interface WireError {
  error: { code: string; message: string; issues?: { path: (string | number)[]; message: string; code: string }[] };
}
