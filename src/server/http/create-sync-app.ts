import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import { CLIENT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/protocol-version.ts';
import type { SessionResponse } from '../../protocol/session.ts';
import { MAX_BODY_HEADER } from '../../protocol/endpoints.ts';
import { SERVER_TIME_HEADER } from '../../protocol/server-time.ts';
import { clientIdOf } from './client-id.ts';
import { isPreviousProtocol, protocolOf } from './protocol-window.ts';
import { verifyAccessToken, type AccessClaims } from '../auth/access-token.ts';
import { handlePull } from './handle-pull.ts';
import { handlePush } from './handle-push.ts';
import { handleFirstSync } from './handle-first-sync.ts';
import type { HostedCollection } from '../documents/hosted-collections.ts';
import { nodeResponseOf, openChangeStream } from './open-change-stream.ts';
import { createBodyBudget, parseJsonBody, readBodyText } from './read-body-text.ts';
import type { ServerContext } from '../server-context.ts';
import { isStatementTimeout, requestError, wireErrorResponse } from './wire-error-response.ts';
import { serveDashboard } from './serve-dashboard.ts';
import { createStreamCap } from './limits/create-stream-cap.ts';
import { createAddressLimiter, createInFlightCap } from './limits/create-key-counters.ts';
import { createRefusalLog } from './refusal-log.ts';
import { loggerOf, REQUEST_ID_HEADER, requestLog } from './request-log.ts';
import { registerProbes } from './probes.ts';
import { timingSafeEqual } from 'node:crypto';

/** A sync endpoint; `body` is the parsed JSON body (POST only), parsed once the caller is known. */
type Handler = (
  c: Context,
  ctx: ServerContext,
  collection: HostedCollection,
  claims: AccessClaims,
  body: unknown,
) => Promise<Response> | Response;

/**
 * The HTTP surface: /sync/:collection/{pull,push,stream}, /sync/session, /healthz, /livez,
 * /readyz (open), /metrics (operators, or METRICS_TOKEN). Every sync
 * request passes, in order: protocol version, token (401), rate limit (429), collection (404).
 * Testable without a port through `app.request()`.
 */
export function createSyncApp(ctx: ServerContext, options: { readonly dashboardDir?: string | undefined } = {}): Hono {
  const app = new Hono();

  // Refusals are counted per caller: the subject once a token is read, else the address.
  const callers = new WeakMap<Request, string>();
  const refusing = {
    refusals: createRefusalLog(ctx.now),
    callerOf: (c: Context) => callers.get(c.req.raw) ?? `address ${remoteAddressOf(c)}`,
  };
  app.use('*', requestLog(ctx.logger, refusing));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    c.header(PROTOCOL_HEADER, String(PROTOCOL_VERSION));
    // The server's clock on every answer (errors too): clients correct their own by it.
    c.header(SERVER_TIME_HEADER, String(Math.round(ctx.now())));
    // The body limit, so clients split push batches under it (issue 23).
    c.header(MAX_BODY_HEADER, String(ctx.limits.maxBodyBytes));
    const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    ctx.metrics.latency.observe({ method: c.req.method, route, status: String(c.res.status) }, (performance.now() - started) / 1000);
  });
  // No origins (serve's default): same origin only, no CORS headers at all.
  const origins = typeof ctx.corsOrigin === 'string' ? [ctx.corsOrigin] : [...ctx.corsOrigin];
  if (origins.length > 0) {
    app.use(
      '*',
      cors({
        origin: origins.includes('*') ? '*' : origins,
        allowHeaders: ['authorization', 'content-type', PROTOCOL_HEADER, CLIENT_HEADER, REQUEST_ID_HEADER],
        exposeHeaders: ['retry-after', PROTOCOL_HEADER, SERVER_TIME_HEADER, MAX_BODY_HEADER, REQUEST_ID_HEADER],
        maxAge: 600,
      }),
    );
  }

  app.get('/healthz', async (c) => {
    try {
      await ctx.db.query('SELECT 1');
      return c.json({ ok: true });
    } catch (error) {
      loggerOf(c, ctx.logger).error({ err: error }, 'health check failed');
      return c.json({ ok: false }, 503);
    }
  });
  if (ctx.health) registerProbes(app, ctx.health);
  // Metrics span every workspace: only an operator reads them (403 FORBIDDEN_ROLE for the
  // others), or a scraper with the static METRICS_TOKEN (operator JWTs expire; scrapers cannot mint).
  app.get('/metrics', async (c) => {
    if (ctx.metricsToken !== undefined && sameSecret(bearerToken(c), ctx.metricsToken)) {
      return c.text(await ctx.metrics.registry.metrics(), 200, { 'content-type': ctx.metrics.registry.contentType });
    }
    const claims = await authenticate(c);
    if (claims.role !== 'operator') throw requestError('FORBIDDEN_ROLE', 'only an operator token reads /metrics');
    return c.text(await ctx.metrics.registry.metrics(), 200, { 'content-type': ctx.metrics.registry.contentType });
  });
  // Who am I: what the presented token grants, as the server reads it (any role).
  app.get('/sync/session', async (c) => {
    const { subject, role, workspaces, expiresAt } = await authenticate(c);
    const session: SessionResponse = { subject: subject ?? null, role, workspaces: [...workspaces].sort(), expiresAt };
    return c.json(session);
  });

  const verify = ctx.verifyToken ?? ((token: string, at: number) => verifyAccessToken(token, ctx.secretKey, at));
  // Issue 23: refused tokens per client address, streams and requests in flight per subject.
  const unauthenticated = createAddressLimiter(ctx.limits.maxUnauthenticatedPerAddress, 10_000, ctx.now);
  const streamCap = createStreamCap(ctx.limits.maxStreamsPerSubject);
  const inFlight = createInFlightCap(ctx.limits.maxInFlightPerSubject);
  /**
   * Token (401) then rate limit (429), for every endpoint that needs a caller. An address
   * that sent too many refused tokens is answered 429 before its next one is even verified;
   * the rate limit counts per subject, so minting a new token does not start afresh.
   */
  const authenticate = async (c: Context): Promise<AccessClaims> => {
    const address = remoteAddressOf(c);
    const blocked = unauthenticated.refused(address);
    if (blocked !== null) {
      throw requestError('RATE_LIMITED', `too many requests without a valid token from this address; retry in ${blocked} s`, {
        retryAfterSeconds: blocked,
      });
    }
    const token = bearerToken(c);
    let claims: AccessClaims;
    try {
      if (!token) throw new BrainStoreError('UNAUTHORIZED', { message: 'send Authorization: Bearer <token>' });
      claims = await verify(token, ctx.now());
    } catch (error) {
      unauthenticated.failed(address);
      throw error;
    }
    callers.set(c.req.raw, claims.subject === undefined ? 'token' : `subject ${claims.subject}`);
    const wait = ctx.rateLimit(callerKey(claims, token));
    if (wait !== null) throw requestError('RATE_LIMITED', `retry in ${wait} s`, { retryAfterSeconds: wait });
    return claims;
  };

  // Bodies held at once, all requests together: four of the largest allowed (issue 11).
  const bodies = createBodyBudget(ctx.limits.maxBodyBytes * 4);
  const sync = (handler: Handler) => async (c: Context) => {
    const text =
      c.req.method === 'POST'
        ? await readBodyText(c, ctx.limits.maxBodyBytes, bodies, {
            minBytes: ctx.limits.bodyMinBytes,
            intervalMs: ctx.limits.bodyIntervalMs,
          })
        : undefined;
    protocolOf(c); // inside the support window, or 426 UPGRADE_REQUIRED / 400 (protocol-window.ts)
    const claims = await authenticate(c);
    const collection = ctx.collections.get(c.req.param('collection') ?? '');
    if (!collection) throw requestError('NOT_FOUND', 'no such collection');
    const key = callerKey(claims, bearerToken(c)!);
    // Cost (issue 23): the body's bytes now, the rows and pulled bytes by the handler.
    ctx.budget.admit(c.req.raw, key, { bytes: text === undefined ? 0 : Buffer.byteLength(text) });
    const leave = inFlight.enter(key);
    try {
      return await handler(c, ctx, collection, claims, text === undefined ? undefined : parseJsonBody(text));
    } finally {
      leave();
    }
  };
  // Pull and push answers are JSON that compresses ~5-10x; gzip or deflate when the request
  // accepts it (browsers and Node's fetch send Accept-Encoding and decompress on their own).
  // Streams stay uncompressed: a compressor would hold back the small events it buffers.
  app.use('/sync/:collection/pull', compress());
  app.use('/sync/:collection/push', compress());
  app.use('/sync/:collection/first-sync', compress());
  app.post('/sync/:collection/pull', sync(handlePull));
  app.post('/sync/:collection/push', sync(handlePush));
  app.post('/sync/:collection/first-sync', sync(handleFirstSync));
  app.get(
    '/sync/:collection/stream',
    // HEAD gets the headers only: a stream opened for it is never read nor cancelled, so it
    // stayed subscribed until its token expired (issue 11, hostile input).
    sync((c, context, collection, claims) =>
      c.req.method === 'HEAD'
        ? c.body(null, 200, { 'content-type': 'text/event-stream; charset=utf-8' })
        : // A client of the previous protocol gets pokes only: CHANGES carry current-version documents.
          openChangeStream(
            context,
            collection,
            claims,
            { id: clientIdOf(c), origin: isPreviousProtocol(c) ? undefined : clientIdOf(c) },
            nodeResponseOf(c),
            (close) =>
              streamCap.admit(
                { subject: claims.subject, token: bearerToken(c)!, clientId: clientIdOf(c), collection: collection.name },
                close,
              ),
          ),
    ),
  );

  // The built dashboard at `/`, same origin as the API it syncs with (no CORS needed).
  if (options.dashboardDir !== undefined) {
    const dashboard = serveDashboard(options.dashboardDir);
    app.on(['GET', 'HEAD'], '*', async (c, next) => (await dashboard(c)) ?? next());
  }
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: 'NOT_FOUND: no such endpoint' } }, 404));
  app.onError((error, c) => {
    const { status, body, retryAfterSeconds } = wireErrorResponse(error);
    const logger = loggerOf(c, ctx.logger);
    if (status === 500) logger.error({ err: error, path: c.req.path }, 'request failed');
    else if (isStatementTimeout(error)) {
      // Once per caller and window, like a refusal: a caller whose every pull times out writes one warning a minute and a count.
      const admitted = refusing.refusals.admit(`statement timeout ${refusing.callerOf(c)}`);
      if (admitted)
        logger.warn(
          { path: c.req.path, ...(admitted.repeated > 0 ? { repeated: admitted.repeated } : {}) },
          'statement timeout: request cancelled',
        );
    } else logger.debug({ code: body.error.code, path: c.req.path }, 'request refused');
    if (retryAfterSeconds !== undefined) c.header('retry-after', String(retryAfterSeconds));
    // A body refused for its size or pace was not read to the end: the connection cannot be reused.
    if (status === 413 || (error instanceof BrainStoreError && error.parameters['slowBody'] === true)) c.header('connection', 'close');
    return c.json(body, status);
  });
  return app;
}

/** What per-caller limits count by: the token's subject, else the token itself. */
function callerKey(claims: AccessClaims, token: string): string {
  return claims.subject === undefined ? `t:${token}` : `s:${claims.subject}`;
}

/** The client's address (the socket's; behind a proxy, the proxy's), or 'local' under app.request(). */
function remoteAddressOf(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'local';
}

/** Compares in constant time (the metrics token is a static secret). */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token from `Authorization: Bearer`, or `?token=` on streams (EventSource cannot set headers). */
function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (match) return match[1];
  if (c.req.method === 'GET' && c.req.path.endsWith('/stream')) return c.req.query('token') || undefined;
  return undefined;
}
