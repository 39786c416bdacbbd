import fc from 'fast-check';
import { Subject } from 'rxjs';
import type { RxReplicationState } from 'rxdb/plugins/replication';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, replicateBrainStore } from '../../src/index.ts';
import { cappedBackoff, cappedDelay } from '../../src/replication/capped-backoff.ts';
import { jitterRetries } from '../../src/replication/jittered-retries.ts';
import { syncEventStream } from '../../src/replication/sync-event-stream.ts';
import { SyncHttpClient } from '../../src/replication/sync-http-client.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { fuzzSettings } from '../helpers/fuzz-settings.ts';
import { fakeClock } from '../helpers/fake-clock.ts';
import { uniqueName } from '../helpers/storages.ts';
import { action } from './sync-fixtures.ts';

/**
 * Issue 17.6: every retry and reconnect waits a random time within a window that doubles with
 * each consecutive failure up to a cap (full jitter), so the clients a server restart cut off
 * together come back spread over the window instead of at the same instants. Randomness is
 * injected (a draw per wait) and time is never slept: RxDB's retry waits are read where RxDB
 * asks for them (the collection's promiseWait), the stream's on fake timers.
 */
const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
/** A random() answering these draws in turn. */
const drawing = (draws: readonly number[]) => {
  let next = 0;
  return () => {
    if (next >= draws.length) throw new Error('more waits than draws');
    return draws[next++]!;
  };
};

describe('full jitter (cappedBackoff)', () => {
  it('the n-th wait is the draw times min(cap, base·2^(n-1)): bounded by a window that grows with the attempts to the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.array(draw, { minLength: 1, maxLength: 16 }),
        (baseMs, extraMs, draws) => {
          const maxMs = baseMs + extraMs;
          const backoff = cappedBackoff({ baseMs, maxMs, random: drawing(draws) });
          draws.forEach((r, index) => {
            const attempt = index + 1;
            const window = cappedDelay(baseMs, maxMs, attempt);
            expect(window).toBe(Math.min(maxMs, baseMs * 2 ** index));
            if (attempt > 1) expect(window).toBeGreaterThanOrEqual(cappedDelay(baseMs, maxMs, attempt - 1));
            const wait = backoff(attempt);
            expect(wait).toBe(Math.round(r * window));
            expect(wait).toBeGreaterThanOrEqual(0);
            expect(wait).toBeLessThanOrEqual(window);
          });
          expect(cappedDelay(baseMs, maxMs, 64)).toBe(maxMs);
        },
      ),
      fuzzSettings('capped backoff', 200),
    );
  });

  it('300 clients failing at the same instant spread their retries over the window (not one instant)', () => {
    const window = cappedDelay(1_000, 30_000, 3);
    const waits = Array.from({ length: 300 }, () => cappedBackoff({ baseMs: 1_000, maxMs: 30_000 })(3));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(window);
    // Each of the window's quarters gets some (uniform draws: fewer than 20 of 300 in one is ~1e-16).
    for (let quarter = 0; quarter < 4; quarter++) {
      const inside = waits.filter((wait) => wait >= (quarter * window) / 4 && wait <= ((quarter + 1) * window) / 4);
      expect(inside.length).toBeGreaterThan(20);
    }
  });
});

describe('a failed pull, push or first sync is retried after a jittered, growing wait (RxDB replication)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ backend: 'pglite' });
  });
  afterAll(async () => server?.close());

  const RETRY_TIME = 8_000;
  /** Windows of the consecutive retries: 1 s doubling to retryTime. */
  const windowOf = (attempt: number) => cappedDelay(1_000, RETRY_TIME, attempt);

  it('each retry waits draw × window, the window doubling from 1 s to retryTime', async () => {
    const settings = fuzzSettings('replication retry jitter', 8);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('pull' as const, 'push' as const, 'first-sync' as const),
        fc.array(draw, { minLength: 1, maxLength: 6 }),
        async (direction, draws) => {
          await server.reset();
          const store = await createBrainStore({ name: uniqueName(), storage: getRxStorageMemory() });
          try {
            const workspace = 'retry-jitter';
            if (direction === 'push') await store.brainActions.createActionRecommendation(action(workspace));
            // RxDB's retry wait, as it asks for it: recorded, and over at once (no time passes).
            const waits: number[] = [];
            store.database.brainActions.promiseWait = (ms: number) => (waits.push(ms), Promise.resolve());
            let failing = draws.length;
            const failingFetch = (input: string, init?: RequestInit) => {
              if (input.endsWith(`/brainActions/${direction}`) && failing > 0) {
                failing -= 1;
                return Promise.reject(new TypeError('fetch failed'));
              }
              return fetch(input, init);
            };
            const sync = replicateBrainStore(store, {
              url: server.url,
              token: await server.token([workspace]),
              live: false,
              collections: ['brainActions'],
              retryTime: RETRY_TIME,
              random: drawing(draws),
              fetch: failingFetch,
            });
            await sync.awaitInSync();
            await sync.cancel();
            // (RxDB's own retries wait at least 1 ms: it takes a zero retryTime for a missing one.)
            const least = direction === 'first-sync' ? 0 : 1;
            expect(waits).toEqual(draws.map((r, index) => Math.max(least, Math.round(r * windowOf(index + 1)))));
            waits.forEach((wait, index) => expect(wait).toBeLessThanOrEqual(windowOf(index + 1)));
          } finally {
            await store.close();
          }
        },
      ),
      settings,
    );
  }, 120_000);
});

describe('jitterRetries (RxDB reads retryTime right after emitting the failure)', () => {
  const failure = (direction: 'pull' | 'push') => ({ parameters: { direction } });

  it('counts consecutive failures per direction; a success of that direction starts its windows over', () => {
    const error$ = new Subject<unknown>();
    const state = { error$, retryTime: 5_000 } as unknown as RxReplicationState<unknown, unknown>;
    const retries = jitterRetries(state, (attempt) => attempt * 100);
    const retryAfter = (direction: 'pull' | 'push') => {
      error$.next(failure(direction));
      return state.retryTime;
    };
    expect([retryAfter('pull'), retryAfter('pull'), retryAfter('push'), retryAfter('pull')]).toEqual([100, 200, 100, 300]);
    retries.succeeded('pull');
    expect([retryAfter('pull'), retryAfter('push')]).toEqual([100, 200]);
    // Errors without a direction (the first sync's, a conflict handler's) count for nothing.
    error$.next(new Error('not a request'));
    expect(retryAfter('pull')).toBe(200);
    retries.stop();
  });

  it("waits at least a refusal's Retry-After (429 past a subject's budget, issue 23), then jitters again", () => {
    const error$ = new Subject<unknown>();
    const state = { error$, retryTime: 5_000 } as unknown as RxReplicationState<unknown, unknown>;
    jitterRetries(state, (attempt) => attempt * 100);
    // RxDB wraps the request's error as plain JSON, its parameters kept (RC_PULL / RC_PUSH).
    const refused = (direction: 'pull' | 'push', retryAfterSeconds?: number) => ({
      parameters: {
        direction,
        errors: [{ code: 'RATE_LIMITED', parameters: retryAfterSeconds === undefined ? {} : { retryAfterSeconds } }],
      },
    });
    error$.next(refused('pull', 7));
    expect(state.retryTime).toBe(7_000);
    error$.next(refused('push'));
    expect(state.retryTime).toBe(100);
    error$.next(refused('pull', 0.05));
    expect(state.retryTime).toBe(200);
  });

  it('never answers 0 (RxDB would take it for a missing retryTime and throw)', () => {
    const error$ = new Subject<unknown>();
    const state = { error$, retryTime: 5_000 } as unknown as RxReplicationState<unknown, unknown>;
    jitterRetries(state, () => 0);
    error$.next(failure('push'));
    expect(state.retryTime).toBe(1);
  });
});

describe('the change stream reconnects after a jittered, growing wait', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the n-th reconnect after consecutive failures comes draw × min(30 s, 1 s·2^(n-1)) after the failure', async () => {
    const clock = fakeClock(Date.now());
    const settings = fuzzSettings('stream reconnect jitter', 20);
    await fc.assert(
      fc.asyncProperty(fc.array(draw, { minLength: 1, maxLength: 8 }), async (draws) => {
        const attempts: number[] = [];
        const client = new SyncHttpClient({
          url: 'http://stream.invalid',
          getToken: () => 'token',
          fetch: () => {
            attempts.push(Date.now());
            return Promise.reject(new TypeError('fetch failed'));
          },
        });
        const backoff = cappedBackoff({
          baseMs: 1_000,
          maxMs: 30_000,
          random: drawing([...draws, ...Array.from({ length: 50 }, () => 0.99)]),
        });
        const subscription = syncEventStream({
          client,
          path: '/sync/brainActions/stream',
          backoff,
          onError: () => undefined,
          scheduler: clock.scheduler,
        }).subscribe();
        try {
          for (let index = 0; index < draws.length; index++) await clock.advance(cappedDelay(1_000, 30_000, index + 1));
          await clock.advance(0);
          const gaps = attempts.slice(1, draws.length + 1).map((at, index) => at - attempts[index]!);
          // (Node runs a timer of 0 ms after 1 ms.)
          const expected = draws.map((r, index) => Math.round(r * cappedDelay(1_000, 30_000, index + 1)));
          gaps.forEach((gap, index) => expect(Math.abs(gap - expected[index]!)).toBeLessThanOrEqual(1));
          expect(gaps).toHaveLength(draws.length);
        } finally {
          subscription.unsubscribe();
        }
      }),
      settings,
    );
  });
});
