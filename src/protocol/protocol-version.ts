/**
 * The sync wire protocol version, sent as the `brain-store-protocol` header and checked by
 * the server. Changelog:
 * - 1: pull / push / stream per collection; poke-then-pull stream; rejected rows in push.
 */
export const PROTOCOL_VERSION = 1;
export const PROTOCOL_HEADER = 'brain-store-protocol';
