import * as z from 'zod/mini';
import { MAX_PULL_BATCH } from './endpoints.ts';
import { checkpointSchema, type SyncCheckpoint, type WireDocument } from './messages.ts';

/**
 * POST /sync/:collection/first-sync — a first sync's own reads, in two steps:
 * - `begin`: the server's checkpoint, taken BEFORE anything is read, and what there is to
 *   read (live documents per workspace of the token, the collection's declared parts). A
 *   client that stores every document read afterwards and then pulls from this checkpoint
 *   misses nothing: a row changed after the checkpoint was taken comes by the pull.
 * - `page`: one part of one workspace — a head part (the first `limit` documents in the
 *   part's order; `after` null, or the count of them sent when a page was cut by bytes) or
 *   `rest` (every live document, id descending, paged with `after`, the last id of the
 *   previous page). Every page stops at the server's byte budget (`maxPageBytes`), as the
 *   pull's; a document larger than it goes alone.
 *
 * A resync (a device with history, back after a long absence; docs/first-sync.md) sends
 * `since`, the checkpoint its pull holds, checked as the pull checks it:
 * - `begin` with `since`: how many rows changed since then (what the pull would bring), per
 *   workspace, and how many of them each head part holds — no checkpoint: the pull goes on
 *   from `since`, unchanged.
 * - `page` with `since`: a head part restricted to the documents changed since then.
 * - `held` (always with `since`): of the ids the client holds at the head of its queue, the
 *   current version of those changed since then, deleted ones included, so a document that
 *   left the head (deleted, no longer pending, priority lowered) leaves the client's too.
 * A server of before the resync refuses `since` (400, strict body): the client then simply
 * pulls. A client of before it never sends it.
 */
export const firstSyncPath = (collection: string) => `/sync/${encodeURIComponent(collection)}/first-sync`;

const identifier = z.string().check(z.minLength(1), z.maxLength(256));

/** Most ids a `held` request names: the largest head part (checkFirstSyncParts). */
export const MAX_HELD_IDS = 5_000;

export const firstSyncRequestSchema = z.discriminatedUnion('step', [
  z.strictObject({ step: z.literal('begin'), since: z.optional(checkpointSchema) }),
  z.strictObject({
    step: z.literal('page'),
    workspace: identifier,
    part: z.string().check(z.minLength(1), z.maxLength(64)),
    after: z.nullable(identifier),
    limit: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_PULL_BATCH)),
    since: z.optional(checkpointSchema),
  }),
  z.strictObject({
    step: z.literal('held'),
    workspace: identifier,
    since: checkpointSchema,
    ids: z.array(identifier).check(z.minLength(1), z.maxLength(MAX_HELD_IDS)),
  }),
]);
/** @public The first-sync request body: for readers of the protocol (the handler reads the schema). */
export type FirstSyncRequest = z.infer<typeof firstSyncRequestSchema>;

export interface FirstSyncBeginResponse {
  /** Pull from here once every page is stored. */
  checkpoint: SyncCheckpoint;
  /** Live documents per workspace of the token (counted after the checkpoint was taken). */
  totals: Record<string, number>;
  /** The head parts in the order to read them (each one request of at most `limit`), then `rest`. */
  parts: { name: string; limit: number }[];
}

/** The answer to `begin` with `since`: what changed since the client's checkpoint (nothing is read yet). */
export interface ResyncBeginResponse {
  /** Rows changed since `since` per workspace of the token: those the pull from it would send, deletes included. */
  changed: Record<string, number>;
  /** Per head part, per workspace: how many of the changed documents it holds (at most its limit). */
  heads: Record<string, Record<string, number>>;
  /** The head parts in the order to read them. */
  parts: { name: string; limit: number }[];
}

export interface FirstSyncPageResponse {
  documents: WireDocument[];
  /**
   * Where the next page starts (`rest`: the last id sent; a head part: how many of it were
   * sent; `held`: the last id sent, ask again for the ids not sent yet); null when done.
   */
  after: string | null;
}

/** The documents of a page, checked in one plain loop (thousands per page), as the pull's. */
const documentsSchema = z.custom<WireDocument[]>(
  (value) =>
    Array.isArray(value) &&
    value.every((doc: unknown) => typeof doc === 'object' && doc !== null && typeof (doc as { _deleted?: unknown })._deleted === 'boolean'),
  { error: 'documents must be an array of documents, each with _deleted' },
);

/** The client's check of a begin answer (a server's answer is data, checked on arrival). */
export const firstSyncBeginResponseSchema: z.ZodMiniType<FirstSyncBeginResponse> = z.object({
  checkpoint: checkpointSchema,
  totals: z.record(z.string(), z.number()),
  parts: z.array(z.object({ name: z.string(), limit: z.number() })),
});

/** The client's check of a resync's begin answer. */
export const resyncBeginResponseSchema: z.ZodMiniType<ResyncBeginResponse> = z.object({
  changed: z.record(z.string(), z.number()),
  heads: z.record(z.string(), z.record(z.string(), z.number())),
  parts: z.array(z.object({ name: z.string(), limit: z.number() })),
});

/** The client's check of a page answer (a `held` answer too: `after` non-null when the byte budget cut it). */
export const firstSyncPageResponseSchema: z.ZodMiniType<FirstSyncPageResponse> = z.object({
  documents: documentsSchema,
  after: z.nullable(z.string()),
});
