import { Observable, type Observable as Source } from 'rxjs';
import { createParser } from 'eventsource-parser';
import { streamEventSchema, type StreamEvent } from '../protocol/messages.ts';
import { readMessage } from '../protocol/read-message.ts';
import { retryAfterMsOf, type SyncHttpClient } from './sync-http-client.ts';
import { defaultScheduler, type ExpiryScheduler } from '../store/scheduler.ts';

export interface EventStreamOptions {
  readonly client: SyncHttpClient;
  readonly path: string;
  /** Wait before reconnecting after the n-th consecutive failure. */
  readonly backoff: (attempt: number) => number;
  readonly onError?: (error: unknown) => void;
  /** A renewed token: the open connection (authenticated with the old one) is replaced at once. */
  readonly renewed$?: Source<unknown>;
  /** Injectable randomness of the wait a server's retry hint asks for (default Math.random). */
  readonly random?: () => number;
  /** Between the RESYNCs (pulls) sent while the server refuses the stream for a while (default 2 s). */
  readonly pollMs?: number;
  /** Timers of the waits between connections (default the global ones; tests drive a fake). */
  readonly scheduler?: ExpiryScheduler;
}

/** Between pulls while the stream is refused, unless `pollMs` says otherwise. */
const DEFAULT_POLL_MS = 2_000;

/** The longest a refused stream waits before asking again, whatever the server's Retry-After. */
const MAX_REFUSED_WAIT_MS = 5 * 60_000;

/** How long the server asked the stream to stay away (429 or 503 with Retry-After), in ms; undefined: not a refusal. */
function refusedForMs(error: unknown): number | undefined {
  const ms = retryAfterMsOf(error);
  return ms === undefined ? undefined : Math.min(ms, MAX_REFUSED_WAIT_MS);
}

/**
 * The server's SSE stream as an Observable of events, over fetch (so the token travels in
 * a header, in browsers and in Node). Reconnects with backoff forever until unsubscribed;
 * the server sends RESYNC first on every connection, so a reconnect always triggers a pull.
 * A server that ends the stream on purpose (shutting down) sends a `retry:` hint first: the
 * next connection waits a random time within it, so its clients do not all return at once.
 *
 * A server that refuses the stream for a while (429 past its streams per subject, or 503, with
 * `Retry-After`) is asked again after that wait plus up to half of it (jitter); meanwhile a
 * RESYNC every `pollMs` (and one at once) has the client pull, so it keeps receiving changes.
 */
export function syncEventStream(options: EventStreamOptions): Observable<StreamEvent> {
  return new Observable<StreamEvent>((subscriber) => {
    const abort = new AbortController();
    let attempt = 0;
    /** The server's retry hint (ms) from the connection that just ended; undefined: none. */
    let hintMs: number | undefined;
    /** Aborts the current connection only (a renewed token). */
    let connection: AbortController | undefined;
    const renewal = options.renewed$?.subscribe(() => connection?.abort());

    const connectOnce = async () => {
      connection = new AbortController();
      const signal = AbortSignal.any([abort.signal, connection.signal]);
      const response = await options.client.request(options.path, {
        method: 'GET',
        headers: options.client.headers({ accept: 'text/event-stream' }),
        signal,
      });
      if (!response.body) throw new Error('stream response has no body');
      const parser = createParser({
        onRetry: (ms) => (hintMs = ms),
        onEvent: (message) => {
          attempt = 0;
          let event: StreamEvent;
          try {
            event = readMessage(streamEventSchema, JSON.parse(message.data), options.path);
          } catch (error) {
            // An event this client cannot read (a newer server's, or a damaged one) still
            // means something happened: it is reported, and answered as a poke (a pull).
            options.onError?.(error);
            event = { type: 'CHANGE' };
          }
          subscriber.next(event);
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(value);
      }
    };

    const random = options.random ?? Math.random;
    const loop = async () => {
      while (!abort.signal.aborted) {
        hintMs = undefined;
        let refusedMs: number | undefined;
        const renewed = (): boolean => connection?.signal.aborted === true && !abort.signal.aborted;
        try {
          await connectOnce();
        } catch (error) {
          if (abort.signal.aborted) return;
          if (!renewed()) options.onError?.(error);
          refusedMs = refusedForMs(error);
        }
        if (abort.signal.aborted) return;
        if (renewed()) continue;
        attempt += 1;
        const wait =
          refusedMs !== undefined
            ? Math.round(refusedMs * (1 + random() / 2))
            : hintMs === undefined
              ? options.backoff(attempt)
              : Math.round(random() * hintMs);
        const scheduler = options.scheduler ?? defaultScheduler;
        await new Promise<void>((resolve) => {
          let poll: unknown;
          // Refused: the client pulls meanwhile, at once and every pollMs.
          const resync = (): void => {
            subscriber.next({ type: 'RESYNC' });
            poll = scheduler.setTimeout(resync, options.pollMs ?? DEFAULT_POLL_MS);
          };
          const done = (): void => {
            scheduler.clearTimeout(timer);
            if (poll !== undefined) scheduler.clearTimeout(poll);
            abort.signal.removeEventListener('abort', done);
            resolve();
          };
          const timer = scheduler.setTimeout(done, wait);
          if (refusedMs !== undefined) resync();
          abort.signal.addEventListener('abort', done, { once: true });
        });
      }
    };
    void loop();
    return () => {
      renewal?.unsubscribe();
      abort.abort();
    };
  });
}
