import { Observable, type Observable as Source } from 'rxjs';
import { createParser } from 'eventsource-parser';
import { streamEventSchema, type StreamEvent } from '../protocol/messages.ts';
import { readMessage } from '../protocol/read-message.ts';
import type { SyncHttpClient } from './sync-http-client.ts';

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
}

/**
 * The server's SSE stream as an Observable of events, over fetch (so the token travels in
 * a header, in browsers and in Node). Reconnects with backoff forever until unsubscribed;
 * the server sends RESYNC first on every connection, so a reconnect always triggers a pull.
 * A server that ends the stream on purpose (shutting down) sends a `retry:` hint first: the
 * next connection waits a random time within it, so its clients do not all return at once.
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

    const loop = async () => {
      while (!abort.signal.aborted) {
        hintMs = undefined;
        const renewed = (): boolean => connection?.signal.aborted === true && !abort.signal.aborted;
        try {
          await connectOnce();
        } catch (error) {
          if (abort.signal.aborted) return;
          if (!renewed()) options.onError?.(error);
        }
        if (abort.signal.aborted) return;
        if (renewed()) continue;
        attempt += 1;
        const wait = hintMs === undefined ? options.backoff(attempt) : Math.round((options.random ?? Math.random)() * hintMs);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
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
