import type { Context } from 'hono';
import { requestError } from './wire-error-response.ts';

/**
 * Bytes of request bodies held in memory at once, across all requests of one server. Each
 * body is capped by `maxBodyBytes`, but without a shared cap the memory held grows with the
 * number of connections: 100 clients uploading 8 MB slowly hold 800 MB (issue 11).
 */
export interface BodyBudget {
  /** Reserves `bytes`; false when that would pass the total (nothing is reserved then). */
  take(bytes: number): boolean;
  give(bytes: number): void;
  /** Bytes reserved now. */
  readonly held: number;
}

/**
 * A body that sends nothing for this long is dropped: a stalled upload would otherwise hold
 * its share of the budget until Node's requestTimeout (300 s), starving the others.
 */
export const BODY_IDLE_MS = 10_000;

/** A budget of `totalBytes` shared by every body being read. */
export function createBodyBudget(totalBytes: number): BodyBudget {
  let held = 0;
  return {
    take(bytes) {
      if (held + bytes > totalBytes) return false;
      held += bytes;
      return true;
    },
    give(bytes) {
      held = Math.max(0, held - bytes);
    },
    get held() {
      return held;
    },
  };
}

/**
 * Reads a request body of at most `maxBytes`, refusing early on a too-large Content-Length and
 * counting bytes as they stream in otherwise (a chunked body has no length to trust). The
 * body is read before anything can refuse the request: a response sent while the client is
 * still sending makes the server drop the keep-alive connection under the client's feet.
 * With a `budget`, a body that would pass the server-wide total is refused with 429 (retry
 * shortly) instead of being buffered; its bytes go back to the budget once read.
 */
export async function readBodyText(c: Context, maxBytes: number, budget?: BodyBudget, idleMs = BODY_IDLE_MS): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) throw requestError('BAD_REQUEST', 'the request has no body');
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, idleMs);
      if (done) break;
      if (size + value.byteLength > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      if (budget && !budget.take(value.byteLength)) {
        await reader.cancel().catch(() => undefined);
        throw requestError('RATE_LIMITED', 'the server is receiving too many request bodies at once; retry shortly', {
          retryAfterSeconds: 1,
        });
      }
      size += value.byteLength;
      chunks.push(value);
    }
    return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
  } finally {
    budget?.give(size);
  }
}

/** The next chunk, or BAD_REQUEST (and the body cancelled) when none comes within `idleMs`. */
async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, idleMs: number): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reader.cancel().catch(() => undefined);
      reject(requestError('BAD_REQUEST', `the body stalled: no bytes for ${idleMs} ms`, { idleMs }));
    }, idleMs);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
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
