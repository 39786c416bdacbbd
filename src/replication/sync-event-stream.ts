import { Observable } from 'rxjs';
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
}

/**
 * The server's SSE stream as an Observable of events, over fetch (so the token travels in
 * a header, in browsers and in Node). Reconnects with backoff forever until unsubscribed;
 * the server sends RESYNC first on every connection, so a reconnect always triggers a pull.
 */
export function syncEventStream(options: EventStreamOptions): Observable<StreamEvent> {
  return new Observable<StreamEvent>((subscriber) => {
    const abort = new AbortController();
    let attempt = 0;

    const connectOnce = async () => {
      const response = await options.client.request(options.path, {
        method: 'GET',
        headers: await options.client.headers({ accept: 'text/event-stream' }),
        signal: abort.signal,
      });
      if (!response.body) throw new Error('stream response has no body');
      const parser = createParser({
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
        try {
          await connectOnce();
        } catch (error) {
          if (abort.signal.aborted) return;
          options.onError?.(error);
        }
        if (abort.signal.aborted) return;
        attempt += 1;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.backoff(attempt));
          abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    };
    void loop();
    return () => abort.abort();
  });
}
