import type { Context } from 'hono';
import { CLIENT_HEADER, CLIENT_ID_PATTERN } from '../../protocol/protocol-version.ts';

/** The caller's client id from its header, when it sent a well-formed one (else none). */
export function clientIdOf(c: Context): string | undefined {
  const id = c.req.header(CLIENT_HEADER);
  return id !== undefined && CLIENT_ID_PATTERN.test(id) ? id : undefined;
}
