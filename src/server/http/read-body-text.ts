import type { Context } from 'hono';
import { requestError } from './wire-error-response.ts';

/**
 * Reads a request body of at most `maxBytes`, refusing early on a too-large Content-Length and
 * counting bytes as they stream in otherwise (a chunked body has no length to trust). The
 * body is read before anything can refuse the request: a response sent while the client is
 * still sending makes the server drop the keep-alive connection under the client's feet.
 */
export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) throw requestError('BAD_REQUEST', 'the request has no body');
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

/** JSON.parse never touches a prototype: `__proto__` becomes an ordinary own key. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw requestError('BAD_REQUEST', 'the body is not valid JSON');
  }
}

function tooLarge(maxBytes: number) {
  return requestError('TOO_LARGE', `the body exceeds ${maxBytes} bytes`, { maxBodyBytes: maxBytes });
}
