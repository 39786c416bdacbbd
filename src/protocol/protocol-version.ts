/**
 * The sync wire protocol version, sent as the `brain-store-protocol` header and checked by
 * the server. Changelog:
 * - 1: pull / push / stream per collection; poke-then-pull stream; rejected rows in push;
 *   optional `brain-store-client` header (no poke for a client's own writes).
 */
export const PROTOCOL_VERSION = 1;
export const PROTOCOL_HEADER = 'brain-store-protocol';
/**
 * Optional: a random id per replicating client, sent on push and stream requests, so the
 * server does not poke a client's stream about its own writes (no echo pulls).
 */
export const CLIENT_HEADER = 'brain-store-client';
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
