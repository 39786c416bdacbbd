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
 * How fast a body must arrive: at least `minBytes` in every `intervalMs` (issue 23). An idle
 * timeout alone let a body trickled a byte every 5 s stay for Node's 300 s requestTimeout,
 * and four of them held the body budget (every pull answered 429 meanwhile).
 */
export interface BodyProgress {
  readonly minBytes: number;
  readonly intervalMs: number;
}

/** The default: 16 KiB per BODY_IDLE_MS (a link of 1.6 KB/s passes; a trickle does not). */
export const DEFAULT_BODY_PROGRESS: BodyProgress = { minBytes: 16 * 1024, intervalMs: BODY_IDLE_MS };

/**
 * Reads a request body of at most `maxBytes`, refusing early on a too-large Content-Length and
 * counting bytes as they stream in otherwise (a chunked body has no length to trust). The
 * body is read before anything can refuse the request: a response sent while the client is
 * still sending makes the server drop the keep-alive connection under the client's feet.
 * With a `budget`, a body that would pass the server-wide total is refused with 429 (retry
 * shortly) instead of being buffered; its bytes go back to the budget once read. A body
 * slower than `progress` is refused with 400 (and its connection closed).
 */
export async function readBodyText(
  c: Context,
  maxBytes: number,
  budget?: BodyBudget,
  progress: BodyProgress = DEFAULT_BODY_PROGRESS,
): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) throw requestError('BAD_REQUEST', 'the request has no body');
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  const watch = watchProgress(reader, progress);
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), watch.stalled]);
      if (watch.error !== undefined) throw watch.error;
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
      watch.received(value.byteLength);
      chunks.push(value);
    }
    return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
  } finally {
    watch.stop();
    budget?.give(size);
  }
}

/**
 * A timer per body: each interval that brought fewer than `minBytes` rejects `stalled` (and
 * cancels the body). Checked on the interval, not per read, so a trickle of tiny chunks
 * cannot reset it.
 */
function watchProgress(reader: ReadableStreamDefaultReader<Uint8Array>, progress: BodyProgress) {
  let received = 0;
  const state: { error: Error | undefined } = { error: undefined };
  let fail!: (error: Error) => void;
  const stalled = new Promise<never>((_, reject) => (fail = reject));
  stalled.catch(() => undefined);
  const timer = setInterval(() => {
    if (received >= progress.minBytes) {
      received = 0;
      return;
    }
    clearInterval(timer);
    state.error = requestError('BAD_REQUEST', `the body is too slow: fewer than ${progress.minBytes} bytes in ${progress.intervalMs} ms`, {
      minBytes: progress.minBytes,
      intervalMs: progress.intervalMs,
      slowBody: true,
    });
    fail(state.error);
    // After the rejection: the cancel ends a pending read as if the body were complete.
    reader.cancel().catch(() => undefined);
  }, progress.intervalMs);
  timer.unref();
  return {
    stalled,
    /** The refusal once the body was too slow (a read may still have ended "done" meanwhile). */
    get error() {
      return state.error;
    },
    received: (bytes: number) => void (received += bytes),
    stop: () => clearInterval(timer),
  };
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
