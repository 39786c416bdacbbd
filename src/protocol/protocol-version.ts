/**
 * The sync wire protocol version, sent as the `brain-store-protocol` header and checked by
 * the server, which serves this version and the ones back to OLDEST_PROTOCOL_VERSION (the
 * support window, docs/upgrades.md). Changelog:
 * - 1: pull / push / stream per collection; poke-then-pull stream; rejected rows in push;
 *   optional `brain-store-client` header (no poke for a client's own writes).
 * - 2: snapshot checkpoints `{ server, snap, upto, tx, seq }` (a transaction left open
 *   elsewhere no longer holds back delivery; a checkpoint of another database restarts the
 *   pull from the beginning); the `brain-store-withheld` header is gone; pull and push
 *   responses are gzip/deflate-compressed when the request accepts it; CHANGES stream
 *   events carry the documents to clients that are caught up (sent to streams opened with
 *   a client id whose last pull through the same instance ended at the feed's position).
 */
/*
 * - 3: brainActions documents are at schema version 1 (snooze: `snoozed_until`, required, 0
 *   when never snoozed; `snoozed_at`, `snoozed_by`). A server speaking 3 serves 2 as well:
 *   it upgrades the version-0 actions a protocol-2 client pushes (carrying over a snooze it
 *   could not see) and sends it actions without the snooze fields (a stream of such a client
 *   gets pokes, never CHANGES). A version older than the window is answered 426
 *   UPGRADE_REQUIRED (clients show `state: 'upgrade-required'` and keep their writes).
 */
export const PROTOCOL_VERSION = 3;
/** The oldest version a server still serves: one back (docs/upgrades.md, the support window). */
export const OLDEST_PROTOCOL_VERSION = 2;
export const PROTOCOL_HEADER = 'brain-store-protocol';
/**
 * Optional: a random id per replicating client, sent on push and stream requests, so the
 * server does not poke a client's stream about its own writes (no echo pulls).
 */
export const CLIENT_HEADER = 'brain-store-client';
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
