/**
 * `count` live change streams in this process, each the client's own code (syncEventStream
 * over a SyncHttpClient, with replicateBrainStore's stream backoff for the default retryTime)
 * and its own token subject (the server caps streams per subject). Each counts the RESYNCs it
 * received: the server sends one first on every connection, so a count is a connection.
 */
import type { Subscription } from 'rxjs';
import { DEFAULT_RETRY_TIME, replicationBackoffs } from '../../src/replication/capped-backoff.ts';
import { syncEventStream } from '../../src/replication/sync-event-stream.ts';
import { SyncHttpClient } from '../../src/replication/sync-http-client.ts';

export interface StreamFleet {
  /** Resolves once every stream has connected `times` times (rejects after `timeoutMs`). */
  connected(times: number, timeoutMs: number): Promise<void>;
  /** Network errors the streams met (connections cut, refused while the server was down). */
  readonly errors: number;
  stop(): void;
}

export function openStreamFleet(options: {
  readonly url: string;
  readonly path: string;
  readonly tokens: readonly string[];
  /** Each wait is random() × its window: Math.random (full jitter) or () => 1 (the whole window, as before the jitter). */
  readonly random: () => number;
}): StreamFleet {
  const connections = options.tokens.map(() => 0);
  const subscriptions: Subscription[] = [];
  const waiters = new Set<() => void>();
  let errors = 0;
  const { stream: backoff } = replicationBackoffs(DEFAULT_RETRY_TIME, options.random);
  options.tokens.forEach((token, index) => {
    const client = new SyncHttpClient({ url: options.url, getToken: () => token, clientId: `reconnect-bench-${index}` });
    subscriptions.push(
      syncEventStream({ client, path: options.path, backoff, random: options.random, onError: () => void (errors += 1) }).subscribe(
        (event) => {
          if (event.type !== 'RESYNC') return;
          connections[index]! += 1;
          for (const waiter of waiters) waiter();
        },
      ),
    );
  });
  return {
    get errors() {
      return errors;
    },
    connected(times, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (connections.some((count) => count < times)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const missing = connections.filter((count) => count < times).length;
          reject(new Error(`${missing} of ${connections.length} streams had not connected ${times} time(s) within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
