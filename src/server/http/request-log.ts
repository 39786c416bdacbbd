import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { RefusalLog } from './refusal-log.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A caller's id is taken when it looks like one (a proxy's); anything else is replaced. */
const USABLE_ID = /^[\w.:@-]{1,128}$/;
const loggers = new WeakMap<Request, Logger>();

/**
 * Answers that refuse a request, or shed it with "come back later" (a 503 with Retry-After: a
 * statement timeout): their access lines are bounded per caller (refusal-log.ts). A probe's
 * 503 (no Retry-After) is logged one by one.
 */
const REFUSED = new Set([400, 401, 403, 413, 426, 429]);
const refused = (response: Response): boolean =>
  REFUSED.has(response.status) || (response.status === 503 && response.headers.has('retry-after'));

export interface RefusalLogging {
  readonly refusals: RefusalLog;
  /** Who a refusal is counted for: the token's subject when known, else the client's address. */
  readonly callerOf: (c: Context) => string;
}

/**
 * Request ids and access lines: `x-request-id` is taken from the request (a load balancer's)
 * or made, returned on the answer, and carried by a child logger that every log line of the
 * request goes through (`loggerOf(c)`); one info line per request when it ends. The query
 * string may carry a token (streams), so the path alone is logged. With `refusing`, refusals
 * (400, 401, 403, 413, 426, 429, and a 503 with Retry-After) are logged once per caller, status and window with a count
 * of the rest (`repeated`, or a 'refusals not logged one by one' line once the window ends).
 */
export function requestLog(logger: Logger, refusing?: RefusalLogging): MiddlewareHandler {
  return async function requestLogMiddleware(c, next) {
    const started = performance.now();
    const incoming = c.req.header(REQUEST_ID_HEADER);
    const requestId = incoming !== undefined && USABLE_ID.test(incoming) ? incoming : globalThis.crypto.randomUUID();
    const child = logger.child({ requestId });
    loggers.set(c.req.raw, child);
    try {
      await next();
    } finally {
      c.header(REQUEST_ID_HEADER, requestId);
      const line = { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) };
      if (refusing === undefined) child.info(line, 'request');
      else {
        refusing.refusals.sweep((key, count) => logger.info({ refusal: key, count }, 'refusals not logged one by one'));
        const admitted = refused(c.res) ? refusing.refusals.admit(`${line.status} ${refusing.callerOf(c)}`) : { repeated: 0 };
        if (admitted !== undefined) child.info(admitted.repeated > 0 ? { ...line, repeated: admitted.repeated } : line, 'request');
      }
    }
  };
}

/** The request's logger (with its requestId), or `fallback` outside a request. */
export function loggerOf(c: Context, fallback: Logger): Logger {
  return loggers.get(c.req.raw) ?? fallback;
}
