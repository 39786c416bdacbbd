/**
 * The sync wire protocol version, sent as the `brain-store-protocol` header and checked by
 * the server. Changelog:
 * - 1: pull / push / stream per collection; poke-then-pull stream; rejected rows in push;
 *   optional `brain-store-client` header (no poke for a client's own writes).
 * - 2: snapshot checkpoints `{ server, snap, upto, tx, seq }` (a transaction left open
 *   elsewhere no longer holds back delivery; a checkpoint of another database restarts the
 *   pull from the beginning); the `brain-store-withheld` header is gone; pull and push
 *   responses are gzip/deflate-compressed when the request accepts it; CHANGES stream
 *   events carry the documents to clients that are caught up (sent to streams opened with
 *   a client id whose last pull through the same instance ended at the feed's position).
 */
export const PROTOCOL_VERSION = 2;
export const PROTOCOL_HEADER = 'brain-store-protocol';
/**
 * Optional: a random id per replicating client, sent on push and stream requests, so the
 * server does not poke a client's stream about its own writes (no echo pulls).
 */
export const CLIENT_HEADER = 'brain-store-client';
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
