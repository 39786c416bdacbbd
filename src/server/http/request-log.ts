import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A caller's id is taken when it looks like one (a proxy's); anything else is replaced. */
const USABLE_ID = /^[\w.:@-]{1,128}$/;
const loggers = new WeakMap<Request, Logger>();

/**
 * Request ids and access lines: `x-request-id` is taken from the request (a load balancer's)
 * or made, returned on the answer, and carried by a child logger that every log line of the
 * request goes through (`loggerOf(c)`); one info line per request when it ends. The query
 * string may carry a token (streams), so the path alone is logged.
 */
export function requestLog(logger: Logger): MiddlewareHandler {
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
      child.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

/** The request's logger (with its requestId), or `fallback` outside a request. */
export function loggerOf(c: Context, fallback: Logger): Logger {
  return loggers.get(c.req.raw) ?? fallback;
}
