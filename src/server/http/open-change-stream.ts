import { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import type { AccessClaims } from '../auth/access-token.ts';
import type { HostedCollection } from '../documents/hosted-collections.ts';
import { readableWorkspaces } from './handle-pull.ts';
import type { ServerContext } from '../server-context.ts';
import { CHANGE_FRAME, HEARTBEAT_FRAME, RESYNC_FRAME } from '../fanout/stream-frame.ts';
import { OwedBytes } from '../fanout/owed-bytes.ts';

/** A change event larger than this goes as a poke instead (the client pulls it, in pages). */
const MAX_EVENT_BYTES = 32 * 1024;
/** Heartbeats a client has to answer the poke that asks it to pull (see OwedBytes). */
const ASK_WITHIN_HEARTBEATS = 2;
/** `desiredSize` of a body stream with nothing queued (the default strategy: one chunk). */
const QUEUE_EMPTY = 1;

/** The Node response under a request served by @hono/node-server (undefined under `app.request()`). */
export function nodeResponseOf(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? outgoing : undefined;
}

/**
 * GET /sync/:collection/stream — a Server-Sent Events response. RESYNC first (the client
 * pulls from its checkpoint, covering anything missed while disconnected), then a CHANGE poke
 * per burst of changes, HEARTBEAT every `heartbeatMs`. Closed when the token expires: the
 * client reconnects with a fresh token.
 *
 * A stream owes what it sent since its client's last pull (`limits.maxStreamOwedBytes`, see
 * OwedBytes): a client that stops reading is closed once it owes that, so what it costs the
 * server and the kernel is bounded by the budget, not by the kernel's socket buffers.
 *
 * With the Node response at hand (`outgoing`), frames go straight to it once the framework
 * has sent the headers (its middleware adds CORS and clock headers) and has written what
 * the body stream held: one synchronous write per stream and event, instead of a web-stream
 * enqueue, read and promise hop per stream — a third of the server's CPU per change with
 * 1,000 streams. The body stream still carries the first frames and the end.
 */
export function openChangeStream(
  ctx: ServerContext,
  collection: HostedCollection,
  claims: AccessClaims,
  /** The stream's client: its id for acknowledgements, and the origin its own writes carry (none for a previous protocol's client). */
  client: { readonly id?: string | undefined; readonly origin?: string | undefined },
  outgoing?: ServerResponse,
  /** Admission (issue 23: streams per subject and token): throws to refuse; returns the release. */
  admit?: (close: () => void) => () => void,
): Response {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let changeQueued = false;
  let direct = false;
  const timers: NodeJS.Timeout[] = [];
  const owed = new OwedBytes(ctx.limits.maxStreamOwedBytes);

  /** A reader that stopped reading: the connection is reset, so the kernel drops what it still holds for it. */
  const drop = (): void => {
    close();
    outgoing?.socket?.resetAndDestroy();
  };

  /**
   * Writes or queues an encoded frame (shared bytes, see stream-frame.ts; never modified).
   * Documents are held back (false) past the stream's budget; a poke or heartbeat that would
   * owe more than the whole budget drops the stream.
   */
  const send = (bytes: Uint8Array, documents = false): boolean => {
    if (closed) return false;
    if (documents ? bytes.length > MAX_EVENT_BYTES || !owed.admitsDocuments(bytes.length) : !owed.admitsControl(bytes.length)) {
      if (!documents) drop();
      return false;
    }
    // Direct only after every queued frame was handed on, so frames keep their order.
    if (!direct && outgoing?.headersSent === true && controller.desiredSize === QUEUE_EMPTY) direct = true;
    if (direct) {
      if (outgoing!.destroyed) {
        close();
        return false;
      }
      outgoing!.write(bytes);
    } else {
      try {
        controller.enqueue(bytes);
      } catch {
        close();
        return false;
      }
    }
    owed.sent(bytes.length);
    return true;
  };

  const close = (retryHintMs?: unknown): void => {
    if (closed) return;
    // A shutdown's hint: the client comes back within it, at a random moment (SSE `retry:`).
    // (Not to a stream that owes its whole budget: sending would drop it, closing it twice.)
    const hint = typeof retryHintMs === 'number' ? new TextEncoder().encode(`retry: ${Math.round(retryHintMs)}\n\n`) : undefined;
    if (hint && owed.admitsControl(hint.length)) send(hint);
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    unsubscribe();
    ctx.streams.delete(close);
    release?.();
    ctx.metrics.streamClients.dec();
    // A stream ending is normal (a tab closed, a reconnect, a shutdown): debug, never one info line per disconnect.
    ctx.logger.debug({ collection: collection.name, subject: claims.subject }, 'stream closed');
    try {
      controller.close();
    } catch {
      // already closed or cancelled by the client
    }
  };

  // Before anything is subscribed: a refusal leaves nothing behind.
  const release = admit?.(() => close());
  const expired = (): boolean => ctx.now() >= claims.expiresAt;
  const unsubscribe = ctx.hub.subscribe({
    collection: collection.name,
    workspaces: new Set(readableWorkspaces(collection, claims)),
    origin: client.origin,
    client: client.id,
    feed: { base: null, covered: null, pulling: 0 },
    deliver: (frame) => send(frame, true),
    change() {
      // Coalesce a burst of notices into one poke: the client pulls everything anyway. A
      // client already asked to pull (past its budget) gets no more: that pull brings all.
      if (changeQueued || closed || owed.asking) return;
      changeQueued = true;
      setImmediate(() => {
        changeQueued = false;
        if (owed.asking) return;
        if (send(CHANGE_FRAME)) owed.poked(ctx.now());
      });
    },
    acknowledge: () => owed.acknowledge(),
    resync: () => {
      send(RESYNC_FRAME);
    },
  });

  const body = new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController;
    },
    cancel: () => close(),
  });
  // A write to a connection that failed emits 'error' on the response: the stream just ends.
  outgoing?.on('error', close);
  ctx.streams.add(close);
  ctx.metrics.streamClients.inc();
  send(RESYNC_FRAME);

  const heartbeat = setInterval(() => {
    if (expired()) close();
    // Asked to pull two heartbeats ago and silent: not reading.
    else if (owed.overdue(ctx.now(), ASK_WITHIN_HEARTBEATS * ctx.heartbeatMs)) drop();
    else send(HEARTBEAT_FRAME);
  }, ctx.heartbeatMs);
  heartbeat.unref();
  timers.push(heartbeat);
  // The heartbeat catches expiry on an injected clock; this timer catches it on time.
  const untilExpiry = claims.expiresAt - ctx.now();
  if (untilExpiry < 2 ** 31 - 1) {
    const expiry = setTimeout(close, Math.max(0, untilExpiry));
    expiry.unref();
    timers.push(expiry);
  }

  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    },
  });
}
