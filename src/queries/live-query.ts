import { BehaviorSubject, Observable, combineLatest, defer, distinctUntilChanged, filter, finalize, map, switchMap, takeUntil } from 'rxjs';
import { deepEqual, type MangoQuery, type RxCollection, type RxDocument } from 'rxdb';
import { deepFreeze } from '../collections/declare-collection.ts';
import { storageCall, type Lifecycle, type Timers } from './query-context.ts';
import { whenClockReaches } from './clock-waits.ts';

/**
 * A reactive read: `exec()` answers once, `$` emits the current answer first and then once
 * per change of the answer (never for writes that leave it unchanged).
 */
export interface LiveQuery<T> {
  exec(): Promise<T>;
  readonly $: Observable<T>;
}

export interface LiveQueryOptions<Doc, T> {
  readonly collection: RxCollection<Doc>;
  readonly now: () => number;
  /** The timers the query re-arms on (the store's scheduler). */
  readonly scheduler: Timers;
  /** `$` completes when the store closes; `exec()`/`$` on a closed store fail with CLOSED. */
  readonly lifecycle: Lifecycle;
  /** Builds the mango query for the instant `at` (time windows and expiry are relative to it). */
  readonly query: (at: number) => MangoQuery<Doc>;
  /** Turns the stored documents into the answer. */
  readonly answer: (docs: Doc[]) => T;
  /**
   * The next instant at which the answer changes by time alone (e.g. the earliest
   * `expires_at` among the results); the query re-runs then.
   */
  readonly changesAt?: ((docs: Doc[], at: number, watched: Doc[]) => number | undefined) | undefined;
  /**
   * A second query, for instants that lie in documents outside the answer (e.g. the next
   * snoozed action to come back): its documents go to `changesAt` as `watched`. Served from
   * an index with a limit, it costs one small read per change.
   */
  readonly watch?: ((at: number) => MangoQuery<Doc>) | undefined;
  /**
   * Emits when `now` stepped (the store learned a new offset to the server's clock): the
   * answer is re-read at the new instant, and the timer re-armed from it.
   */
  readonly clockChanged$?: Observable<unknown> | undefined;
}

export function liveQuery<Doc, T>(options: LiveQueryOptions<Doc, T>): LiveQuery<T> {
  const { collection, now, scheduler, lifecycle, query, answer, changesAt, clockChanged$, watch } = options;
  const toAnswer = (docs: RxDocument<Doc>[]): { docs: Doc[]; value: T } => {
    const plain = docs.map((doc) => doc.toMutableJSON());
    return { docs: plain, value: deepFreeze(answer(plain)) };
  };

  const $ = defer(() => {
    lifecycle.assertOpen();
    const tick$ = new BehaviorSubject(now());
    let cancelWait: (() => void) | undefined;
    const disarm = () => {
      cancelWait?.();
      cancelWait = undefined;
    };
    const arm = (next: number) => {
      disarm();
      cancelWait = whenClockReaches(scheduler, now, next, (current) => {
        cancelWait = undefined;
        tick$.next(current);
      });
    };
    // A step of the clock is time passing at once: windows and expiries move with it (rare:
    // the first sync of a skewed device, then only a change beyond the apply threshold).
    const clockStep = clockChanged$?.subscribe(() => tick$.next(now()));
    return tick$.pipe(
      switchMap((at) => {
        const answer$ = collection.find(query(at)).$;
        if (!watch) return answer$.pipe(map((docs) => ({ at, watched: [] as Doc[], ...toAnswer(docs) })));
        return combineLatest([answer$, collection.find(watch(at)).$]).pipe(
          map(([docs, watched]) => ({ at, watched: watched.map((doc) => doc.toMutableJSON()), ...toAnswer(docs) })),
        );
      }),
      filter(({ docs, at, watched }) => {
        const next = changesAt?.(docs, at, watched);
        if (next === undefined) {
          disarm();
          return true;
        }
        // Already due (e.g. a write landed an action whose expires_at passed since `at`):
        // re-run at the current instant instead of emitting an answer that is already stale.
        if (next <= now()) {
          disarm();
          tick$.next(now());
          return false;
        }
        arm(next);
        return true;
      }),
      map(({ value }) => value),
      distinctUntilChanged(deepEqual),
      takeUntil(lifecycle.closed$),
      finalize(() => {
        clockStep?.unsubscribe();
        disarm();
        tick$.complete();
      }),
    );
  });

  return {
    exec: async () => {
      lifecycle.assertOpen();
      const docs = await storageCall(() => collection.find(query(now())).exec());
      return toAnswer(docs).value;
    },
    $,
  };
}
