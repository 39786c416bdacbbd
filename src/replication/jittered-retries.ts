import type { RxReplicationState } from 'rxdb/plugins/replication';
import { retryAfterMsOf } from './sync-http-client.ts';

export type RetryDirection = 'pull' | 'push';

export interface JitteredRetries {
  /** A pull or push answered: that direction's next failure waits in the first window again. */
  succeeded(direction: RetryDirection): void;
  stop(): void;
}

/**
 * RxDB retries a failed pull or push after its state's `retryTime`, the same fixed wait for
 * every client: the clients a server restart cut off together retried together, at the same
 * instants, for as long as the outage lasted (issue 17.6). RxDB reads `retryTime` at the very
 * moment of each retry, right after it emits the failure on `error$` (RC_PULL or RC_PUSH, with
 * its `direction`); this makes `retryTime` a getter that answers `backoff(n)` for the n-th
 * consecutive failure of that direction, so each retry waits a random time within a window
 * that grows with the failures (full jitter, see cappedBackoff).
 */
export function jitterRetries<Doc, Checkpoint>(
  state: RxReplicationState<Doc, Checkpoint>,
  backoff: (attempt: number) => number,
): JitteredRetries {
  const failures: Record<RetryDirection, number> = { pull: 0, push: 0 };
  let last: RetryDirection = 'pull';
  let notBeforeMs = 0;
  // error$ emits synchronously, before RxDB reads retryTime for the wait that follows.
  const subscription = state.error$.subscribe((error) => {
    const parameters = (error as { parameters?: { direction?: unknown; errors?: unknown } }).parameters;
    const direction = parameters?.direction;
    if (direction !== 'pull' && direction !== 'push') return;
    failures[direction] += 1;
    last = direction;
    notBeforeMs = retryAfterMs(parameters?.errors);
  });
  Object.defineProperty(state, 'retryTime', {
    configurable: true,
    enumerable: true,
    // At least 1 ms: RxDB takes a zero retryTime for a missing one and throws. Never sooner
    // than a 429's or 503's Retry-After (a subject over its budget, issue 23): retrying earlier
    // is refused again.
    get: () => Math.max(1, notBeforeMs, backoff(Math.max(1, failures[last]))),
  });
  return {
    succeeded: (direction) => void (failures[direction] = 0),
    stop: () => subscription.unsubscribe(),
  };
}

/** The longest Retry-After among the request errors RxDB wrapped, in ms (0: none). */
function retryAfterMs(errors: unknown): number {
  return Array.isArray(errors) ? Math.max(0, ...errors.map((error) => retryAfterMsOf(error) ?? 0)) : 0;
}
