import type { Context } from 'hono';
import { OLDEST_PROTOCOL_VERSION, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/protocol-version.ts';
import { requestError } from './wire-error-response.ts';

/**
 * The protocol version a request speaks (docs/upgrades.md): the current one when it names
 * none (tools, curl); one inside the support window as named; 426 UPGRADE_REQUIRED for an
 * older one — the client is told to upgrade and keeps its writes meanwhile; 400 for anything
 * else (a newer version than this server, or not a version at all).
 */
export function protocolOf(c: Context): number {
  const header = c.req.header(PROTOCOL_HEADER);
  if (header === undefined) return PROTOCOL_VERSION;
  const version = /^\d{1,6}$/.test(header) ? Number(header) : NaN;
  const window = { clientVersion: header, oldestVersion: OLDEST_PROTOCOL_VERSION, serverVersion: PROTOCOL_VERSION };
  if (version >= OLDEST_PROTOCOL_VERSION && version <= PROTOCOL_VERSION) return version;
  if (version < OLDEST_PROTOCOL_VERSION) {
    throw requestError(
      'UPGRADE_REQUIRED',
      `protocol version ${version} is no longer served; this server speaks ${OLDEST_PROTOCOL_VERSION} to ${PROTOCOL_VERSION}: upgrade the client`,
      window,
    );
  }
  throw requestError(
    'BAD_REQUEST',
    `protocol version ${header} is not supported; this server speaks ${OLDEST_PROTOCOL_VERSION} to ${PROTOCOL_VERSION}`,
    {
      protocolVersion: PROTOCOL_VERSION,
      ...window,
    },
  );
}

/** Whether the request speaks an older protocol than the current one (it reads and writes the previous schema versions). */
export function isPreviousProtocol(c: Context): boolean {
  return protocolOf(c) < PROTOCOL_VERSION;
}
